import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';

/** The largest archive the console takes (the CLI has no limit). */
export const ARCHIVE_UPLOAD_MAX_BYTES = 512 * 1024 * 1024;
const LIMIT_TEXT = '512 MiB';
/** The temporary folders of a request's uploads. */
const FOLDERS = Symbol('archive upload folders');
type UploadingRequest = FastifyRequest & { [FOLDERS]?: string[] };

/** The form field carrying the archive. */
export const ARCHIVE_FIELD = 'archive';

/**
 * Lets the console's forms post `multipart/form-data` with one archive file:
 * the file streams to a temporary file (import reads the archive twice, and
 * memory must stay flat), the other fields land in `request.body` like any
 * form's, so the CSRF check reads `_csrf` as usual. The temporary file is
 * removed once the response is sent, whatever happened.
 */
export async function acceptArchiveUploads(scope: FastifyInstance): Promise<void> {
  await scope.register(multipart, {
    limits: { fileSize: ARCHIVE_UPLOAD_MAX_BYTES, files: 1, fields: 10, fieldSize: 64 * 1024 },
    attachFieldsToBody: 'keyValues',
    async onFile(this: FastifyRequest, part: MultipartFile) {
      if (part.fieldname !== ARCHIVE_FIELD || part.filename === '') {
        part.file.resume();
        return;
      }
      const folder = await mkdtemp(join(tmpdir(), 'plio-console-import-'));
      ((this as UploadingRequest)[FOLDERS] ??= []).push(folder);
      const path = join(folder, 'archive.plio.tar.gz');
      try {
        await pipeline(part.file, createWriteStream(path));
      } catch (error) {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw errors.archiveTooLarge(LIMIT_TEXT);
        throw errors.malformedMultipart((error as Error).message);
      }
      if (part.file.truncated) throw errors.archiveTooLarge(LIMIT_TEXT);
      (part as MultipartFile & { value: string }).value = path;
    },
  });
  scope.addHook('onResponse', async (request) => {
    await Promise.all((request as UploadingRequest)[FOLDERS]?.map((folder) => rm(folder, { recursive: true, force: true })) ?? []);
  });
}

/** The path of the uploaded archive, or a clear error when none came. */
export function uploadedArchive(request: FastifyRequest): string {
  const path = (request.body as Record<string, unknown> | undefined)?.[ARCHIVE_FIELD];
  if (typeof path !== 'string' || !(request as UploadingRequest)[FOLDERS]?.some((folder) => path.startsWith(folder))) throw errors.archiveRequired();
  return path;
}
