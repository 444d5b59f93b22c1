// What a call that must fail threw (gRPC errors carry `code` and `details`); a call that
// succeeds fails the test.
export async function errorOf<E extends Error = Error & { code?: number; details?: string }>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected an error');
}
