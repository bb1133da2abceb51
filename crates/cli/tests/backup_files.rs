//! `poryadok backup` and `restore` with the real binary: a file on a card travels with the
//! database copy (its bytes in `FILE.files`), comes back into the restored server's files
//! directory, and a backup whose files directory lacks a file's bytes fails saying so.
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_core::SystemClock;
use poryadok_store::files::{attach, FileStore, LocalDisk, NewFile, RecordRef};
use poryadok_store::{DatabaseUrl, Db};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");

fn poryadok(db: &str, files: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(["--database", db, "--files-dir"]).arg(files).args(args).output().expect("run poryadok")
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn a_backup_carries_the_files_bytes_and_restores_them() {
    let dir = std::env::temp_dir().join(format!("poryadok-backup-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("crm.db").display());
    let files = dir.join("files");
    let out = poryadok(&url, &files, &["demo", "--deals", "1"]);
    assert!(out.status.success(), "{}", said(&out));

    let db = Db::connect(&DatabaseUrl::new(&url), Arc::new(SystemClock)).await.unwrap();
    let actor = db.system_actor(1, Channel::Cli).await.unwrap();
    let deal = db.create(&actor, Entity::Deal, &json!({"title": "Поставка серверов"})).await.unwrap().id();
    let store = FileStore::local(&files, 1 << 20);
    let contract = b"%PDF-1.4 the signed contract".to_vec();
    let scan = b"%PDF-1.4 the scan of the act".to_vec();
    for (name, bytes) in [("contract.pdf", &contract), ("act.pdf", &scan)] {
        let new = NewFile { name, content_type: None, kind: None, bytes };
        attach(&db, &store, &actor, RecordRef::new(Entity::Deal, deal).unwrap(), new).await.unwrap();
    }
    db.close().await;

    let backup = dir.join("backup.db");
    let out = poryadok(&url, &files, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("files: 2 of 2"), "{}", said(&out));

    let restored = format!("sqlite://{}", dir.join("restored.db").display());
    let restored_files = dir.join("restored-files");
    let out = poryadok(&restored, &restored_files, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    let disk = LocalDisk::new(&restored_files);
    use poryadok_store::files::BlobStore;
    assert_eq!(disk.get(&poryadok_store::files::sha256_hex(&contract)).await.unwrap(), contract);
    assert_eq!(disk.get(&poryadok_store::files::sha256_hex(&scan)).await.unwrap(), scan);

    // The source's files directory lost a blob: the next backup fails and names it.
    let key = poryadok_store::files::sha256_hex(&scan);
    std::fs::remove_file(files.join(&key[..2]).join(&key[2..4]).join(&key)).unwrap();
    let second = dir.join("backup-2.db");
    let out = poryadok(&url, &files, &["backup", second.to_str().unwrap()]);
    assert!(!out.status.success(), "a backup without a file's bytes reported success: {}", said(&out));
    assert!(said(&out).contains("1 files' bytes are missing") && said(&out).contains(&key), "{}", said(&out));
    assert!(second.exists(), "the database copy is kept");
    let _ = std::fs::remove_dir_all(&dir);
}
