/** The one warning rule for writes to the shadow (core/copier/warnings.ts), shared by the copier and replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyWarnings, conversionError, duplicateEntry } from '../../core/copier/warnings.ts';
import { LossyConversionError } from '../../core/copier/errors.ts';

const w = (Code: number, Message: string) => ({ Level: 'Warning', Code, Message });

test('duplicate entries name the value and the key (MariaDB plain, MySQL 8 table-qualified)', () => {
  assert.deepEqual(duplicateEntry("Duplicate entry '5' for key 'PRIMARY'", '_t_new'), { value: '5', key: 'PRIMARY' });
  assert.deepEqual(duplicateEntry("Duplicate entry 'a' for key 'b'-x' for key 'uq'", '_t_new'), { value: "a' for key 'b'-x", key: 'uq' });
  assert.deepEqual(duplicateEntry("Duplicate entry '7-x' for key '_t_new.uq_c'", '_t_new'), { value: '7-x', key: 'uq_c' });
  assert.equal(duplicateEntry('Out of range value', '_t_new'), null);
});

test('duplicates on PRIMARY are harmless; those on another key are handed back with the key and the value', () => {
  assert.deepEqual(classifyWarnings([w(1062, "Duplicate entry '1' for key 'PRIMARY'"), w(1062, "Duplicate entry '2' for key '_t_new.PRIMARY'")], '_t_new'),
    { primary: 2, secondary: [] });
  assert.deepEqual(classifyWarnings([w(1062, "Duplicate entry '1' for key 'PRIMARY'"), w(1062, "Duplicate entry 'x' for key 'uq_c'")], '_t_new'),
    { primary: 1, secondary: [{ key: 'uq_c', value: 'x' }] });
});

test('any other warning is a LossyConversionError naming the column', () => {
  assert.throws(() => classifyWarnings([w(1265, "Data truncated for column 'd' at row 1")], '_t_new'),
    (e: unknown) => e instanceof LossyConversionError && e.column === 'd' && e.warningCode === 1265);
});

test('strict-mode conversion errors map to LossyConversionError; other errors do not', () => {
  const out = conversionError(Object.assign(new Error("Out of range value for column 'v' at row 1"), { errno: 1264 }), '_t_new');
  assert.ok(out instanceof LossyConversionError && out.column === 'v');
  assert.equal(conversionError(Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205 }), '_t_new'), null);
  assert.equal(conversionError(new Error('plain'), '_t_new'), null);
});
