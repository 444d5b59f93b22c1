// zod validation of API responses, with messages that name the field that was wrong.
import { type z } from 'zod';
import { OpenStackResponseError } from './errors.js';

/** Parses JSON text against a schema; a mismatch names the service, path and bad fields. */
export function parseBody<T extends z.ZodType>(schema: T, text: string, service: string, path: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OpenStackResponseError(service, path, 'body is not JSON');
  }
  return parseValue(schema, json, service, path);
}

/** Validates an already-decoded value. */
export function parseValue<T extends z.ZodType>(schema: T, value: unknown, service: string, path: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new OpenStackResponseError(service, path, issues);
}
