// Minimal typings for the emulator packages, which ship none.
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }
  export default function kinesalite(options?: KinesaliteOptions): Server;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
  }
  export default class S3rver {
    public constructor(options?: S3rverOptions);
    /** The server `run()` listens with; set once it has started. */
    public httpServer?: Server;
    public run(): Promise<AddressInfo>;
    public close(): Promise<void>;
  }
}
