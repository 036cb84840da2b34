/** A small seeded PRNG (mulberry32) so randomized tests can print and replay their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The base seed: SEED from the environment to replay a failure, else the time. */
export function baseSeed(): number {
  return process.env.SEED ? Number(process.env.SEED) : Date.now() % 1_000_000_007;
}
