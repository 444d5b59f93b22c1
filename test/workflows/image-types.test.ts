import fc from 'fast-check';
import { imageIdFor, nameProblem } from '../../workflows/image-types.js';

describe('image ids', () => {
  it('numbers the images of one day from 1', () => {
    expect(imageIdFor('atomic-host', '2025-03-07T02:00:00.000Z', [])).toBe('atomic-host-20250307.1');
    expect(
      imageIdFor('atomic-host', '2025-03-07T09:00:00.000Z', ['atomic-host-20250307.1', 'atomic-host-20250307.3', 'atomic-host-20250306.9', 'atomic-host-x-20250307.7']),
    ).toBe('atomic-host-20250307.4');
  });

  it('generated ids are always valid image ids and never collide', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.integer({ min: 1, max: 10 }), (stream, n) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push(imageIdFor(stream, '2025-12-31T23:59:59.000Z', ids));
        expect(new Set(ids).size).toBe(n);
        for (const id of ids) expect(nameProblem('imageId', id)).toBeNull();
      }),
    );
  });
});

describe('nameProblem', () => {
  it.each([
    ['stream', 'atomic-host', null],
    ['stream', '../etc', 'stream "../etc" is not a valid stream name (lowercase letters, digits and "-", starting with a letter or digit, at most 63 characters)'],
    ['stream', 'a/b', /^stream "a\/b" is not a valid stream name/],
    ['stream', 'Atomic', /^stream "Atomic"/],
    ['buildId', 'atomic-host-20250101.1', null],
    ['buildId', '.hidden', /^buildId "\.hidden" is not a valid image id/],
    ['buildId', '..', /^buildId "\.\." is not a valid image id/],
    ['imageId', 'x/../y', /^imageId "x\/..\/y" is not a valid image id/],
    ['imageId', '', /^imageId "" is not a valid image id/],
    ['imageId', 42, 'imageId must be a string'],
  ] as const)('%s %j', (field, value, expected) => {
    const problem = nameProblem(field, value);
    if (expected === null) expect(problem).toBeNull();
    else if (typeof expected === 'string') expect(problem).toBe(expected);
    else expect(problem).toMatch(expected);
  });

  it('no accepted name can climb out of a directory', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (value) => {
        if (nameProblem('buildId', value) === null) {
          expect(value).not.toContain('/');
          expect(value).not.toContain('\\');
          expect(['.', '..']).not.toContain(value);
        }
      }),
    );
  });
});
