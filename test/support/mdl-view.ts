/** MariaDB's metadata_lock_info plugin (information_schema.METADATA_LOCK_INFO): its state, set and restored by tests. */
import type { Pool, RowDataPacket } from 'mysql2/promise';

export type MdlViewState = 'ACTIVE' | 'NOT INSTALLED' | undefined;

/** ACTIVE, NOT INSTALLED, or undefined when the server has no such plugin (MySQL). */
export async function metadataLockView(admin: Pool): Promise<MdlViewState> {
  const rows = await admin.query<RowDataPacket[]>("SELECT PLUGIN_STATUS AS s FROM information_schema.ALL_PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'")
    .then(([r]) => r, () => [] as RowDataPacket[]);
  return rows[0]?.s as MdlViewState;
}

/** Installs (want) or uninstalls (!want) the plugin when the server has it. */
export async function setMetadataLockView(admin: Pool, want: boolean): Promise<void> {
  const now = await metadataLockView(admin);
  if (want && now === 'NOT INSTALLED') await admin.query("INSTALL SONAME 'metadata_lock_info'");
  if (!want && now === 'ACTIVE') await admin.query("UNINSTALL SONAME 'metadata_lock_info'");
}
