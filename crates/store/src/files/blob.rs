//! Where a file's bytes live. [`BlobStore`] is the seam: the local disk today
//! ([`LocalDisk`]), an S3-compatible bucket later (an implementation keyed the same way: the
//! object key is the SHA-256, `put` of a key already present is a no-op).
//!
//! Bytes are content-addressed: the key is the lower-case hex SHA-256 of the content, so the same
//! scan attached to three cards is stored once, and a key can be checked against what it names.
use crate::error::{Result, StoreError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The hex SHA-256 of `bytes`: a blob's key.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn valid_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A store of immutable blobs keyed by their SHA-256.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` durably and returns their key; once this returns, the bytes survive a
    /// crash or a power cut. Storing bytes that are already there does nothing.
    async fn put(&self, bytes: &[u8]) -> Result<String>;
    /// The bytes under `key`; [`StoreError::NotFound`] when there are none.
    async fn get(&self, key: &str) -> Result<Vec<u8>>;
    /// Removes the bytes under `key` (nothing when there are none). The caller decides that no
    /// file row names them any more.
    async fn delete(&self, key: &str) -> Result<()>;
    /// Whether the bytes under `key` are there, `size` bytes long (a cheap check before a copy).
    async fn has(&self, key: &str, size: u64) -> Result<bool>;
    /// Where the blobs are, for the start-up log (a directory, a bucket).
    fn describe(&self) -> String;
}

/// Blobs as files under a directory: `<root>/ab/cd/abcd…` (two levels of fan-out keep
/// directories small). Written to a temporary name in the same directory, synced, renamed into
/// place, and the directory synced, so a blob is either whole or absent.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> LocalDisk {
        LocalDisk { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf> {
        if !valid_key(key) {
            return Err(StoreError::NotFound);
        }
        Ok(self.root.join(&key[..2]).join(&key[2..4]).join(key))
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("file storage: {e}"))
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a blob path has a directory"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), rand::random::<u64>()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable once the directory entry is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Runs file I/O off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Internal(e.to_string()))
}

#[async_trait::async_trait]
impl BlobStore for LocalDisk {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    async fn put(&self, bytes: &[u8]) -> Result<String> {
        let key = sha256_hex(bytes);
        let path = self.path_of(&key)?;
        let size = bytes.len() as u64;
        let bytes = bytes.to_vec();
        blocking(move || {
            // Same key, same length: the same content is already stored (a torn write never
            // reaches the final name).
            if std::fs::metadata(&path).is_ok_and(|m| m.len() == size) {
                return Ok(());
            }
            write_durably(&path, &bytes)
        })
        .await?
        .map_err(io)?;
        Ok(key)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.path_of(key)?;
        match blocking(move || std::fs::read(&path)).await? {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound),
            Err(e) => Err(io(e)),
        }
    }

    async fn has(&self, key: &str, size: u64) -> Result<bool> {
        let path = self.path_of(key)?;
        blocking(move || std::fs::metadata(&path).is_ok_and(|m| m.len() == size)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match blocking(move || std::fs::remove_file(&path)).await? {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blobs_round_trip_by_their_hash() {
        let dir = std::env::temp_dir().join(format!("poryadok-blob-{}", rand::random::<u64>()));
        let disk = LocalDisk::new(&dir);
        let key = disk.put(b"scan").await.unwrap();
        assert_eq!(key, sha256_hex(b"scan"));
        assert!(dir.join(&key[..2]).join(&key[2..4]).join(&key).is_file());
        assert_eq!(disk.put(b"scan").await.unwrap(), key, "the same bytes, the same key");
        assert_eq!(disk.get(&key).await.unwrap(), b"scan");
        disk.delete(&key).await.unwrap();
        assert!(matches!(disk.get(&key).await, Err(StoreError::NotFound)));
        assert!(matches!(disk.get("../../etc/passwd").await, Err(StoreError::NotFound)), "keys are hashes only");
        let leftovers: Vec<_> = std::fs::read_dir(dir.join(&key[..2]).join(&key[2..4])).unwrap().collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
        let _ = std::fs::remove_dir_all(dir);
    }
}
