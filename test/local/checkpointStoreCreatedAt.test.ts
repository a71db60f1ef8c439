import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFileError } from '../../local/kinesis/CheckpointFileError.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';

const SHARD = 'shardId-000000000000';
const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';
const CREATED = new Date('2026-11-29T18:00:00.123Z');

let folder: string;
let file: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'streamfold-created-at-'));
  file = join(folder, 'archive-checkpoints.json');
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('CheckpointStore creation time', () => {
  it('saves the creation time at once and reads it back with the checkpoints', () => {
    // Prepare
    const store = new CheckpointStore({ file });

    // Act
    store.markCreated(CREATED);
    const afterMark = JSON.parse(readFileSync(file, 'utf8'));
    store.set(SHARD, SEQUENCE);
    store.save();
    const reread = new CheckpointStore({ file });

    // Assess
    expect(afterMark).toEqual({ createdAt: CREATED.toISOString() });
    expect(reread.createdAt).toEqual(CREATED);
    expect(reread.get(SHARD)).toBe(SEQUENCE);
    expect(reread.hasPositions).toBe(true);
  });

  it('reads a file written before creation times were kept as having none', () => {
    // Prepare
    writeFileSync(file, JSON.stringify({ [SHARD]: SEQUENCE }));

    // Act
    const store = new CheckpointStore({ file });

    // Assess
    expect(store.createdAt).toBeUndefined();
    expect(store.get(SHARD)).toBe(SEQUENCE);
  });

  it('refuses a creation time that is not a timestamp, naming it', () => {
    // Prepare
    writeFileSync(file, JSON.stringify({ createdAt: 'yesterday', [SHARD]: SEQUENCE }));

    // Act
    const read = () => new CheckpointStore({ file });

    // Assess
    expect(read).toThrow(CheckpointFileError);
    expect(read).toThrow(/createdAt is not a timestamp \(given "yesterday"\)/);
  });

  it('refuses to record a second creation time', () => {
    // Prepare
    const store = new CheckpointStore();
    store.markCreated(CREATED);

    // Act
    const again = () => store.markCreated(new Date());

    // Assess
    expect(again).toThrow(/already records a creation time \(2026-11-29T18:00:00.123Z\)/);
    expect(store.createdAt).toEqual(CREATED);
  });
});
