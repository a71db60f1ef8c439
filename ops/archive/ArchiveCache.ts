import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { PARQUET_EXTENSION } from '../../core/codec/parquetExtension.js';
import { mapConcurrent } from '../../core/util/mapConcurrent.js';
import { archiveListPrefixes } from './archiveListPrefixes.js';
import { UnsafeArchiveKeyError } from './errors.js';

/** Options of {@link ArchiveCache}. */
export interface ArchiveCacheOptions {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  /** Firehose prefix expression of the archive (`archive.prefix`). */
  prefix: string;
  /** Folder the objects are downloaded to, for example `.data/archive-cache/<bucket>`. */
  cacheDir: string;
  /**
   * Downloads in flight.
   *
   * @default 8
   */
  concurrency?: number;
  /**
   * Keys per ListObjectsV2 page.
   *
   * @default - S3's own (1,000)
   */
  listPageSize?: number;
  /** Told after each object is in the cache (downloaded or found there). */
  onProgress?: (progress: ArchiveFetchProgress) => void;
}

/** An archive object listed under the prefix. */
export interface ArchiveObject {
  key: string;
  /** Entity tag without quotes; a rewritten object gets a new one, and a new cache file. */
  etag: string;
  size: number;
}

/** Where a fetch stands. */
export interface ArchiveFetchProgress {
  /** Objects in range. */
  total: number;
  /** Objects in the cache so far (downloaded or already there). */
  done: number;
  /** Objects downloaded so far in this fetch. */
  downloaded: number;
  /** Bytes downloaded so far in this fetch. */
  downloadedBytes: number;
}

/** What a fetch found and where the files are. */
export interface ArchiveFetchResult {
  /** Local paths of the objects in range, in key order. */
  files: string[];
  /** The listed objects, in key order. */
  objects: ArchiveObject[];
  /** The prefixes listed. */
  prefixes: string[];
  /** Objects downloaded by this fetch. */
  downloaded: number;
  /** Objects found in the cache. */
  cached: number;
  /** Bytes downloaded by this fetch. */
  downloadedBytes: number;
}

/** An arrival-time range; `since` undefined means the whole archive. */
export interface ArchiveRange {
  since?: Date;
  /** @default now */
  until?: Date;
}

/**
 * A local copy of the archive objects of a time range, for DuckDB to read.
 * It lists only the hour (or day, month) prefixes of the range with paged
 * ListObjectsV2, and downloads each object once: the cache file is named by
 * key and ETag, keeps the key's `name=value` folders (so DuckDB reads the
 * partitions from the path, as Athena does) and is written under a temporary
 * name and renamed, so an interrupted download never leaves a partial file.
 *
 * @example
 * const cache = new ArchiveCache({ s3, bucket: 'streamfold-archive', prefix: config.archive.prefix,
 *   cacheDir: '.data/archive-cache/streamfold-archive' });
 * const { files } = await cache.fetch({ since: new Date(Date.now() - 3_600_000) });
 */
export class ArchiveCache {
  readonly #options: ArchiveCacheOptions;

  public constructor(options: ArchiveCacheOptions) {
    this.#options = options;
  }

  /** Lists the objects that arrived in the range (whole hours), in key order. */
  public async list(range: ArchiveRange = {}): Promise<{
    objects: ArchiveObject[];
    prefixes: string[];
  }> {
    const prefixes = archiveListPrefixes(this.#options.prefix, range.since, range.until);
    const objects: ArchiveObject[] = [];
    for (const prefix of prefixes) objects.push(...(await this.#listPrefix(prefix)));
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { objects, prefixes };
  }

  /** Lists the range and downloads every object not yet in the cache. */
  public async fetch(range: ArchiveRange = {}): Promise<ArchiveFetchResult> {
    const { objects, prefixes } = await this.list(range);
    const progress: ArchiveFetchProgress = {
      total: objects.length,
      done: 0,
      downloaded: 0,
      downloadedBytes: 0,
    };
    const files = await mapConcurrent(objects, this.#options.concurrency ?? 8, async (object) => {
      const file = this.pathOf(object);
      const bytes = (await isFile(file)) ? undefined : await this.#download(object, file);
      if (bytes !== undefined) {
        progress.downloaded++;
        progress.downloadedBytes += bytes;
      }
      progress.done++;
      this.#options.onProgress?.({ ...progress });
      return file;
    });
    return {
      files,
      objects,
      prefixes,
      downloaded: progress.downloaded,
      cached: objects.length - progress.downloaded,
      downloadedBytes: progress.downloadedBytes,
    };
  }

  /**
   * The cache file of an object: `<cacheDir>/<key folders>/<name>.<etag>.gz`, or
   * `….parquet` for a Parquet object (`archive.format` `'parquet'`), so readers tell the
   * formats apart by the file's extension.
   *
   * @throws {UnsafeArchiveKeyError} when the key would leave the cache folder
   */
  public pathOf(object: ArchiveObject): string {
    const segments = object.key.split('/');
    if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new UnsafeArchiveKeyError(object.key);
    }
    const last = segments.pop() as string;
    const extension = last.endsWith(PARQUET_EXTENSION) ? PARQUET_EXTENSION : '.gz';
    const name = last.replace(/\.gz$/, '').replace(/\.parquet$/, '');
    const etag = object.etag.replace(/[^A-Za-z0-9-]/g, '_');
    return join(this.#options.cacheDir, ...segments, `${name}.${etag}${extension}`);
  }

  async #listPrefix(prefix: string): Promise<ArchiveObject[]> {
    const objects: ArchiveObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#options.s3.send(
        new ListObjectsV2Command({
          Bucket: this.#options.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          ...(this.#options.listPageSize ? { MaxKeys: this.#options.listPageSize } : {}),
        }),
      );
      for (const entry of page.Contents ?? []) {
        if (!entry.Key || entry.Key.endsWith('/')) continue;
        objects.push({
          key: entry.Key,
          etag: (entry.ETag ?? '').replaceAll('"', '') || 'no-etag',
          size: entry.Size ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async #download(object: ArchiveObject, file: string): Promise<number> {
    const response = await this.#options.s3.send(
      new GetObjectCommand({
        Bucket: this.#options.bucket,
        Key: object.key,
        // The cache holds this version; a rewrite since the listing fails instead of mixing.
        ...(object.etag !== 'no-etag' ? { IfMatch: `"${object.etag}"` } : {}),
      }),
    );
    const body = response.Body as { transformToByteArray(): Promise<Uint8Array> } | undefined;
    if (!body) throw new Error(`GetObject s3://${this.#options.bucket}/${object.key}: no body`);
    const bytes = await body.transformToByteArray();
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${randomUUID()}.partial`;
    try {
      await writeFile(partial, bytes);
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return bytes.length;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
