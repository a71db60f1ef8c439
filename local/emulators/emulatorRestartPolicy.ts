/** How often an emulator whose state is on disk is restarted after it dies. */
export interface EmulatorRestartPolicy {
  /** Restarts allowed within `windowMs`; one more exit in the window stops the runtime. */
  maxRestarts: number;
  /** The sliding window the restarts are counted in, ms. */
  windowMs: number;
}

/**
 * Three restarts a minute: enough to ride out a stray `kill -9` or an
 * out-of-memory kill, few enough that an emulator that cannot stay up (a
 * damaged store, a port someone else took) stops the runtime within seconds
 * instead of flapping unseen.
 */
export const EMULATOR_RESTART_POLICY: EmulatorRestartPolicy = {
  maxRestarts: 3,
  windowMs: 60_000,
};
