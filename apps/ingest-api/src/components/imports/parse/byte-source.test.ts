import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteSource } from './byte-source.js';

describe('ByteSource', () => {
  it('peeks without consuming, and counts each byte once', async () => {
    const source = ByteSource.from(
      Readable.from([Buffer.from('ab'), Buffer.from(''), Buffer.from('cd'), Buffer.from('ef')]),
    );
    expect((await source.peek(3)).toString()).toBe('abcd');
    const read: string[] = [];
    for (let chunk = await source.next(); chunk !== null; chunk = await source.next())
      read.push(chunk.toString());
    expect(read).toEqual(['ab', 'cd', 'ef']);
    expect(source.bytesRead).toBe(6);
  });

  it('takes Uint8Array chunks and refuses decoded text', async () => {
    async function* bytes(): AsyncGenerator<Buffer> {
      yield new Uint8Array([0x61, 0x62]) as Buffer;
    }
    expect((await ByteSource.from(bytes()).next())?.toString()).toBe('ab');
    const text = new Readable({ read() {} });
    text.setEncoding('utf8');
    text.push(Buffer.from('abc'));
    await expect(ByteSource.from(text).next()).rejects.toThrow(TypeError);
  });

  it('drains a Readable on release instead of destroying it', async () => {
    let reads = 0;
    const stream = new Readable({
      read() {
        reads += 1;
        this.push(reads <= 20 ? Buffer.alloc(1024) : null);
      },
    });
    const source = ByteSource.from(stream);
    await source.next();
    await source.release();
    await new Promise((resolve) => stream.once('end', resolve));
    expect(reads).toBe(21);
  });

  it('ends another iterable on release, and releasing twice is harmless', async () => {
    let closed = 0;
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield Buffer.from('x');
      } finally {
        closed += 1;
      }
    }
    const source = ByteSource.from(bytes());
    await source.next();
    await source.release();
    await source.release();
    expect(closed).toBe(1);
    expect(await source.next()).toBeNull();
  });
});
