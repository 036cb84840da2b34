/** Exit codes: 0 done, 1 failed, 2 bad input or refused (nothing changed), 130/143 interrupted (checkpoint kept). */
export const EXIT = { ok: 0, failed: 1, usage: 2, sigint: 130, sigterm: 143 } as const;
