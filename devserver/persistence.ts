// Placeholder until persistence lands: keeps the interface the server uses.
import type { Engine } from './engine.js';

export interface Persistence {
  flush(): Promise<void>;
  stop(): void;
}

export function attachPersistence(_engine: Engine, _file: string): Persistence {
  return { flush: async () => undefined, stop: () => undefined };
}
