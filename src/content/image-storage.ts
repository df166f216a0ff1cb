/**
 * Where uploaded images live: a folder per schema under `MEDIA_ROOT`
 * (served at `/media/...`), or an S3 bucket when one is configured. The rest
 * of the code knows only this interface.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';

export interface ImageStorage {
  /** Stores `data` as `<schema>/images/<name>` and answers the URL clients load it from. */
  save(file: { schema: string; name: string; data: Buffer; contentType: string }): Promise<string>;
  /** Reads a stored file back for `/media/...`; `undefined` when not served locally. */
  read(key: string): Promise<{ data: Buffer; contentType: string } | undefined>;
  /** Reads a stored file back wherever it is kept (exports); `undefined` when it is missing. */
  load(key: string): Promise<Buffer | undefined>;
  /** Removes every file stored for `schema` (a failed import's, which no row names). */
  removeSchema(schema: string): Promise<void>;
}

/**
 * The storage key (`<schema>/images/<name>`) of an image URL that `save`
 * made for `schema`, or `undefined` for a URL pointing anywhere else.
 */
export function imageKeyOfUrl(url: string, schema: string): string | undefined {
  const match = /\/([a-z_][a-z0-9_]*)\/images\/([^/?#]+)$/.exec(url);
  return match && match[1] === schema ? `${schema}/images/${match[2]}` : undefined;
}

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

class LocalImageStorage implements ImageStorage {
  readonly #root: string;
  /** `PUBLIC_URL`: the stored URL never comes from the request's `Host`. */
  readonly #publicUrl: string;
  constructor(root: string, publicUrl: string) {
    this.#root = resolve(root);
    this.#publicUrl = publicUrl;
  }

  async save(file: { schema: string; name: string; data: Buffer }): Promise<string> {
    const key = `${file.schema}/images/${file.name}`;
    const path = join(this.#root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.data);
    return `${this.#publicUrl}/media/${key}`;
  }

  async read(key: string): Promise<{ data: Buffer; contentType: string } | undefined> {
    const path = resolve(this.#root, key);
    const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
    if (!path.startsWith(this.#root + sep) || !contentType) return undefined;
    try {
      return { data: await readFile(path), contentType };
    } catch {
      return undefined;
    }
  }

  async load(key: string): Promise<Buffer | undefined> {
    return (await this.read(key))?.data;
  }

  async removeSchema(schema: string): Promise<void> {
    await rm(join(this.#root, schema), { recursive: true, force: true });
  }
}

class S3ImageStorage implements ImageStorage {
  readonly #client: S3Client;
  constructor(private readonly s3: NonNullable<Config['s3']>) {
    this.#client = new S3Client({ region: s3.region ?? 'us-east-1', ...(s3.endpoint && { endpoint: s3.endpoint, forcePathStyle: true }) });
  }

  async save(file: { schema: string; name: string; data: Buffer; contentType: string }): Promise<string> {
    const key = `${file.schema}/images/${file.name}`;
    await this.#client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key: key, Body: file.data, ContentType: file.contentType }));
    return this.s3.endpoint
      ? `${this.s3.endpoint.replace(/\/$/, '')}/${this.s3.bucket}/${key}`
      : `https://${this.s3.bucket}.s3.${this.s3.region ?? 'us-east-1'}.amazonaws.com/${key}`;
  }

  async read(): Promise<undefined> {
    return undefined;
  }

  async load(key: string): Promise<Buffer | undefined> {
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: key }));
      return object.Body ? Buffer.from(await object.Body.transformToByteArray()) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async removeSchema(schema: string): Promise<void> {
    for (let token: string | undefined, more = true; more; ) {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix: `${schema}/`, ContinuationToken: token }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) await this.#client.send(new DeleteObjectsCommand({ Bucket: this.s3.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.NextContinuationToken;
      more = page.IsTruncated === true;
    }
  }
}

export function createImageStorage(config: Pick<Config, 's3' | 'mediaRoot' | 'publicUrl'>): ImageStorage {
  return config.s3 ? new S3ImageStorage(config.s3) : new LocalImageStorage(config.mediaRoot, config.publicUrl);
}

/** The image type of a file from its first bytes (never trust the client's name or type). */
export function sniffImage(data: Buffer): { extensions: [string, ...string[]]; contentType: string } | undefined {
  const starts = (bytes: number[], offset = 0) => bytes.every((byte, i) => data[offset + i] === byte);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { extensions: ['.png'], contentType: 'image/png' };
  if (starts([0xff, 0xd8, 0xff])) return { extensions: ['.jpg', '.jpeg'], contentType: 'image/jpeg' };
  if (starts([0x47, 0x49, 0x46, 0x38])) return { extensions: ['.gif'], contentType: 'image/gif' };
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return { extensions: ['.webp'], contentType: 'image/webp' };
  return undefined;
}
