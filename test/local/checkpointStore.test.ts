import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFileError } from '../../local/kinesis/CheckpointFileError.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';

const SHARD = 'shardId-000000000000';
const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';
const RECOVERY = 'Delete it to read the stream again from its start, or restore it from a copy.';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let folder: string;
let file: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'streamfold-checkpoints-'));
  file = join(folder, 'aggregate-checkpoints.json');
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('CheckpointStore', () => {
  it('reads back what it saved', () => {
    // Prepare
    const store = new CheckpointStore({ file });
    store.set(SHARD, SEQUENCE);

    // Act
    store.save();

    // Assess
    expect(new CheckpointStore({ file }).get(SHARD)).toBe(SEQUENCE);
    expect(readdirSync(folder)).toEqual(['aggregate-checkpoints.json']);
  });

  it('writes only when a checkpoint moved since the last save', () => {
    // Prepare
    const store = new CheckpointStore({ file });
    store.set(SHARD, SEQUENCE);
    store.save();
    rmSync(file);

    // Act
    store.set(SHARD, SEQUENCE);
    store.save();

    // Assess
    expect(existsSync(file)).toBe(false);
  });

  it('saves periodically while running, so a crash without a stop keeps the checkpoints', async () => {
    // Prepare
    const store = new CheckpointStore({ file });
    const errors: unknown[] = [];
    store.startPeriodicSave((error) => errors.push(error), 20);

    // Act: no stop, as after kill -9
    store.set(SHARD, SEQUENCE);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    try {
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [SHARD]: SEQUENCE });
      expect(errors).toEqual([]);
    } finally {
      store.stopPeriodicSave();
    }
  });

  it('saves once more when the periodic save stops', () => {
    // Prepare
    const store = new CheckpointStore({ file });
    store.startPeriodicSave(() => undefined, 60_000);
    store.set(SHARD, SEQUENCE);

    // Act
    store.stopPeriodicSave();

    // Assess
    expect(new CheckpointStore({ file }).get(SHARD)).toBe(SEQUENCE);
  });

  it('keeps the previous file whole when a save fails before its rename', () => {
    // Prepare: a folder where the temporary file goes makes the write fail (EISDIR)
    const store = new CheckpointStore({ file });
    store.set(SHARD, '1');
    store.save();
    store.set(SHARD, '2');
    mkdirSync(`${file}.tmp`);

    // Act / Assess
    expect(() => store.save()).toThrow(/EISDIR/);
    expect(new CheckpointStore({ file }).get(SHARD)).toBe('1');
  });

  it('works in memory without a file', () => {
    const store = new CheckpointStore();
    store.set(SHARD, SEQUENCE);
    store.save();
    expect(store.get(SHARD)).toBe(SEQUENCE);
  });

  describe.each([
    ['truncated', '{"shardId-000000000000": "4959033', /not JSON/],
    ['empty', '', /it is empty/],
    ['not JSON', 'checkpoints', /not JSON/],
    [
      'an array',
      '["4959"]',
      /expected an object of shard id to sequence number \(given \["4959"\]\)/,
    ],
    [
      'a number as checkpoint',
      '{"shardId-000000000000": 4959}',
      /checkpoint of shardId-000000000000 is not a sequence number \(given 4959\)/,
    ],
    [
      'a checkpoint that is not a sequence number',
      '{"shardId-000000000000": "LATEST"}',
      /not a sequence number \(given "LATEST"\)/,
    ],
  ])('with a damaged file (%s)', (_case, content, problem) => {
    it('refuses it with one line naming the file, the problem and the way forward', () => {
      // Prepare
      writeFileSync(file, content);

      // Act
      let error: unknown;
      try {
        new CheckpointStore({ file, recovery: RECOVERY });
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(CheckpointFileError);
      const message = (error as CheckpointFileError).message;
      expect(message).toMatch(problem);
      expect(message).toContain(`checkpoint file ${file} is damaged`);
      expect(message).toContain(RECOVERY);
      expect(message).not.toContain('\n');
      expect((error as CheckpointFileError).file).toBe(file);
    });
  });
});

describe('npm start with a damaged checkpoint file', () => {
  it('exits with code 1 and one line that names the file, without a stack trace', () => {
    // Prepare
    writeFileSync(file, '{"shardId-000000000000": "4959');

    // Act
    const run = spawnSync(
      process.execPath,
      ['bin/streamfold.js', 'start', '--no-demo', '--ephemeral-ports', '--data-dir', folder],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 },
    );

    // Assess
    expect(run.status).toBe(1);
    const lines = run.stderr.split('\n').filter((line) => line.includes(file));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^streamfold start: checkpoint file .* is damaged: not JSON .*Delete it to aggregate the stream again from its start .*maxRecordAge \(1h\) go to the on-failure destination\), or restore it from a copy\.$/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
