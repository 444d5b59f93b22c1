// Writes a release's notes to `<notesDir>/v<N>.md` (atomically: temp file, then rename), so a
// retried or replayed step leaves exactly one complete file.
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidNameError, releaseBranchName } from '../workflows/release-names.js';

/** What the notes activity needs: the directory the notes go to (absolute). */
export interface ReleaseNotesFileDeps {
  releaseNotesDir: string;
}

export interface WriteReleaseNotesInput {
  version: number;
  markdown: string;
}

export interface WriteReleaseNotesResult {
  path: string;
  bytes: number;
}

export function createReleaseNotesFileActivities({ releaseNotesDir }: ReleaseNotesFileDeps) {
  return {
    async writeReleaseNotes(input: WriteReleaseNotesInput): Promise<WriteReleaseNotesResult> {
      let name: string;
      try {
        name = `${releaseBranchName(input.version)}.md`;
      } catch (error) {
        if (error instanceof InvalidNameError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidName', { field: error.field });
        throw error;
      }
      if (typeof input.markdown !== 'string') throw ApplicationFailure.nonRetryable('markdown must be a string', 'InvalidName', { field: 'markdown' });
      await mkdir(releaseNotesDir, { recursive: true });
      const path = join(releaseNotesDir, name);
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, input.markdown);
      await rename(temp, path);
      return { path, bytes: Buffer.byteLength(input.markdown) };
    },
  };
}

export type ReleaseNotesFileActivities = ReturnType<typeof createReleaseNotesFileActivities>;
