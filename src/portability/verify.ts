import type { Readable } from 'node:stream';
import { errors } from '../errors.ts';
import type { Migration } from '../tenancy/migration.ts';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, MANIFEST_PATH, readEntries, sha256, type ArchiveFile, type Manifest } from './archive.ts';

/**
 * The first of import's two passes over an archive: reads it whole, hashing
 * every entry, and checks each against the manifest (which comes last, as a
 * streamed writer can only know the checksums at the end). Nothing is written
 * anywhere until this has passed, so a damaged, truncated or foreign file is
 * refused before the database is touched. Memory holds one entry and the
 * list of checksums.
 */
export async function verifyArchive(source: Readable, tenantMigrations: readonly Migration[]): Promise<Manifest> {
  const seen: ArchiveFile[] = [];
  let manifestText: string | undefined;
  for await (const entry of readEntries(source)) {
    if (manifestText !== undefined) throw errors.archiveInvalid(`"${entry.path}" follows the manifest`);
    if (entry.path === MANIFEST_PATH) manifestText = entry.data.toString('utf8');
    else seen.push({ path: entry.path, bytes: entry.data.length, sha256: sha256(entry.data) });
  }
  if (manifestText === undefined) throw errors.archiveInvalid(`it has no ${MANIFEST_PATH}`);
  const manifest = parseManifest(manifestText);

  if (seen.length !== manifest.files.length) {
    throw errors.archiveInvalid(`it holds ${seen.length} files where its manifest lists ${manifest.files.length}`);
  }
  manifest.files.forEach((listed, i) => {
    const found = seen[i]!;
    if (found.path !== listed.path) throw errors.archiveInvalid(`"${found.path}" is where the manifest lists "${listed.path}"`);
    if (found.sha256 !== listed.sha256 || found.bytes !== listed.bytes) throw errors.archiveInvalid(`"${listed.path}" fails its checksum`);
  });
  checkSchemaVersion(manifest, tenantMigrations);
  return manifest;
}

function parseManifest(text: string): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw errors.archiveInvalid(`its ${MANIFEST_PATH} is not JSON`);
  }
  if (manifest?.format !== ARCHIVE_FORMAT) throw errors.archiveInvalid(`its ${MANIFEST_PATH} is not a Plio organization export`);
  if (typeof manifest.format_version !== 'number') throw errors.archiveInvalid('its format version is missing');
  if (manifest.format_version > ARCHIVE_FORMAT_VERSION) throw errors.archiveTooNew('format version', manifest.format_version, ARCHIVE_FORMAT_VERSION);
  if (!Array.isArray(manifest.files) || !Array.isArray(manifest.tables) || !Array.isArray(manifest.migrations) || !Array.isArray(manifest.media)) {
    throw errors.archiveInvalid(`its ${MANIFEST_PATH} lacks files, tables, migrations or media`);
  }
  return manifest;
}

/** The archive's schema must be this installation's at the same or an older version. */
function checkSchemaVersion(manifest: Manifest, tenantMigrations: readonly Migration[]): void {
  if (manifest.migrations.length > tenantMigrations.length) {
    throw errors.archiveTooNew('schema version', manifest.migrations.length, tenantMigrations.length);
  }
  manifest.migrations.forEach((name, i) => {
    if (tenantMigrations[i]!.name !== name) {
      throw errors.archiveInvalid(`its schema has migration "${name}" where this installation has "${tenantMigrations[i]!.name}"`);
    }
  });
}
