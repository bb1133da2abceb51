//! The bytes of files carried along with the rows: a backup writes every blob the `files` rows
//! name beside the database copy, a restore puts them back into the target's blob store, and the
//! move to PostgreSQL can copy them into the new files directory.
//!
//! Each blob is read, checked against its key (the SHA-256 of its content) and written with
//! [`BlobStore::put`], which is durable and does nothing for a blob already there, so a second
//! run into the same place only adds what is new (scheduled backups share one directory of
//! blobs). A blob the source lacks or whose content no longer matches its key is reported, not
//! copied: the copy is as complete as the source, and says exactly what the source was missing.
use super::blob::{sha256_hex, BlobStore};
use crate::dump::backup::FILE_PREFIX;
use crate::error::{Result, StoreError};
use crate::Db;
use sea_orm::{ConnectionTrait, Statement};
use std::path::{Path, PathBuf};

/// A blob some `files` row names: its key and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub key: String,
    pub size: u64,
}

/// What carrying the blobs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// Blobs the rows name.
    pub blobs: u64,
    /// Of them, written now (the others were already at the target).
    pub copied: u64,
    /// Bytes written now.
    pub bytes: u64,
    /// Keys the source does not have.
    pub missing: Vec<String>,
    /// Keys whose content in the source is not what the key says (damaged on disk).
    pub corrupt: Vec<String>,
}

impl Carried {
    /// Every blob the rows name is at the target.
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty()
    }
}

impl Db {
    /// Every blob the `files` rows of every workspace name (a deleted file's too: its row keeps
    /// its history, and its bytes with it), each once, in key order.
    pub async fn blob_refs(&self) -> Result<Vec<BlobRef>> {
        let sql = "SELECT sha256, MAX(size) AS size FROM files GROUP BY sha256 ORDER BY sha256";
        let rows = self.read.query_all(Statement::from_string(self.backend, sql)).await?;
        rows.iter()
            .map(|r| Ok(BlobRef { key: r.try_get::<String>("", "sha256")?, size: r.try_get::<i64>("", "size")?.max(0) as u64 }))
            .collect()
    }
}

/// Copies the blobs `refs` names from `from` to `to`, checking each against its key;
/// `progress` is told each blob's size as it is done.
pub async fn carry_blobs(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    refs: &[BlobRef],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Carried> {
    let mut out = Carried { blobs: refs.len() as u64, ..Carried::default() };
    for r in refs {
        if !to.has(&r.key, r.size).await? {
            match from.get(&r.key).await {
                Ok(bytes) if sha256_hex(&bytes) == r.key => {
                    to.put(&bytes).await?;
                    out.copied += 1;
                    out.bytes += bytes.len() as u64;
                }
                Ok(_) => out.corrupt.push(r.key.clone()),
                Err(StoreError::NotFound) => out.missing.push(r.key.clone()),
                Err(e) => return Err(e),
            }
        }
        progress(r.size);
    }
    Ok(out)
}

/// Where `poryadok backup FILE` puts the files' bytes: the directory `FILE.files` beside it.
pub fn backup_files_dir(backup: &Path) -> PathBuf {
    let mut name = backup.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".files");
    backup.with_file_name(name)
}

/// The directory scheduled backups share for the files' bytes: `files` in the backups' directory.
pub fn scheduled_files_dir(dir: &Path) -> PathBuf {
    dir.join("files")
}

/// Where the files' bytes of the backup `FILE` are, if it has them: `FILE.files`, or for a
/// scheduled backup the schedule directory's shared `files`.
pub fn files_of_backup(backup: &Path) -> Option<PathBuf> {
    let own = backup_files_dir(backup);
    if own.is_dir() {
        return Some(own);
    }
    let scheduled = backup.file_name().is_some_and(|n| n.to_string_lossy().starts_with(FILE_PREFIX));
    let shared = scheduled_files_dir(backup.parent().unwrap_or(Path::new(".")));
    (scheduled && shared.is_dir()).then_some(shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::LocalDisk;

    #[tokio::test]
    async fn blobs_are_carried_checked_and_only_once() {
        let root = std::env::temp_dir().join(format!("poryadok-carry-{}", rand::random::<u64>()));
        let (from, to) = (LocalDisk::new(root.join("from")), LocalDisk::new(root.join("to")));
        let a = from.put(b"contract").await.unwrap();
        let b = from.put(b"invoice").await.unwrap();
        // A blob damaged on disk: its content no longer matches its key.
        let c = from.put(b"scan").await.unwrap();
        std::fs::write(root.join("from").join(&c[..2]).join(&c[2..4]).join(&c), b"scaN").unwrap();
        let gone = sha256_hex(b"lost");
        let refs: Vec<BlobRef> =
            [(&a, 8), (&b, 7), (&c, 4), (&gone, 4)].into_iter().map(|(k, size)| BlobRef { key: k.clone(), size }).collect();
        let mut seen = 0;
        let done = carry_blobs(&from, &to, &refs, &mut |n| seen += n).await.unwrap();
        assert_eq!((done.blobs, done.copied, done.bytes), (4, 2, 15));
        assert_eq!((done.missing.clone(), done.corrupt.clone()), (vec![gone.clone()], vec![c.clone()]));
        assert!(!done.complete());
        assert_eq!(seen, 23, "progress counts every blob's size");
        assert_eq!(to.get(&a).await.unwrap(), b"contract");
        let again = carry_blobs(&from, &to, &refs[..2], &mut |_| {}).await.unwrap();
        assert_eq!((again.copied, again.bytes), (0, 0), "what is there is not written again");
        assert!(again.complete());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_backups_files_are_found_beside_it() {
        let root = std::env::temp_dir().join(format!("poryadok-carry-dir-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&root).unwrap();
        let manual = root.join("crm.db");
        assert_eq!(backup_files_dir(&manual), root.join("crm.db.files"));
        assert_eq!(files_of_backup(&manual), None);
        std::fs::create_dir_all(root.join("crm.db.files")).unwrap();
        assert_eq!(files_of_backup(&manual), Some(root.join("crm.db.files")));
        let scheduled = root.join(format!("{FILE_PREFIX}20261207-090000.db"));
        assert_eq!(files_of_backup(&scheduled), None);
        std::fs::create_dir_all(root.join("files")).unwrap();
        assert_eq!(files_of_backup(&scheduled), Some(root.join("files")));
        let _ = std::fs::remove_dir_all(root);
    }
}
