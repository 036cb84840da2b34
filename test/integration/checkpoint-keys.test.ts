/** Issue 4, scenario 10: resume with a composite VARCHAR key, a BINARY(16) key and BIGINT UNSIGNED keys beyond 2^53. */
import { test } from 'node:test';
import { baseSeed } from '../support/random.ts';
import { resumeDuringCopy } from './checkpoint-scenarios.ts';

const seed = baseSeed();

test(`10. composite (VARCHAR, VARCHAR) primary key resumes exactly (seed ${seed})`, () => resumeDuringCopy(seed, 'composite'));
test(`10. BINARY(16) primary key (0x00 and 0xFF bytes) resumes exactly (seed ${seed})`, () => resumeDuringCopy(seed, 'binary'));
test(`10. BIGINT UNSIGNED primary key beyond 2^53 resumes exactly (seed ${seed})`, () => resumeDuringCopy(seed, 'bigint'));
