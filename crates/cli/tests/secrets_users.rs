//! `poryadok user set-timezone` and `poryadok secrets status | seal | rotate` (issue 24): the
//! real binary on a real SQLite file.
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");

fn run(db: &str, key: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(["--database", db]).args(args).env("PORYADOK_SECRET_KEY", key).env_remove("PORYADOK_NEW_SECRET_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run poryadok")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn webhook_secret(lines: &str) -> serde_json::Value {
    lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["table"] == "webhooks" && c["column"] == "secret")
        .unwrap()
}

#[test]
fn a_user_sets_their_own_time_zone_and_secrets_are_rotated_to_a_new_key() {
    let dir = std::env::temp_dir().join(format!("poryadok-secrets-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("crm.db").display());
    let (old, new) = ("11".repeat(32), "22".repeat(32));
    ok(run(&db, &old, &["user", "create", "--email", "olga@cli.test", "--name", "Ольга", "--role", "admin"], &[]));

    let out = ok(run(&db, &old, &["users", "set-timezone", "--email", "olga@cli.test", "--timezone", "Asia/Yekaterinburg"], &[]));
    assert!(out.contains("own time zone Asia/Yekaterinburg"), "{out}");
    let bad = run(&db, &old, &["user", "set-timezone", "--email", "olga@cli.test", "--timezone", "Mars/Olympus"], &[]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("timezone"), "an unknown zone is refused");
    let out = ok(run(&db, &old, &["user", "set-timezone", "--email", "olga@cli.test", "--timezone", ""], &[]));
    assert!(out.contains("follows the workspace's time zone"), "{out}");

    ok(run(&db, &old, &["webhooks", "add", "--url", "http://127.0.0.1:9/hook"], &[]));
    let status = ok(run(&db, &old, &["secrets", "status"], &[]));
    assert_eq!((webhook_secret(&status)["sealed"].as_u64(), webhook_secret(&status)["plain"].as_u64()), (Some(1), Some(0)), "{status}");

    let refused = run(&db, &old, &["secrets", "rotate"], &[]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("PORYADOK_NEW_SECRET_KEY"), "no new key given");
    let key_file = dir.join("new.key");
    std::fs::write(&key_file, format!("{new}\n")).unwrap();
    let out = ok(run(&db, &old, &["secrets", "rotate", "--new-key-file", key_file.to_str().unwrap()], &[]));
    assert!(out.contains("\"resealed\":1"), "{out}");
    let stale = run(&db, &old, &["secrets", "status"], &[]);
    assert!(!stale.status.success(), "the old key no longer opens the webhook's secret");
    assert_eq!(webhook_secret(&String::from_utf8(stale.stdout).unwrap())["unreadable"].as_u64(), Some(1));
    let status = ok(run(&db, &new, &["secrets", "status"], &[]));
    assert_eq!(webhook_secret(&status)["sealed"].as_u64(), Some(1), "{status}");
    // Back again, with the new key from the environment.
    ok(run(&db, &new, &["secrets", "rotate"], &[("PORYADOK_NEW_SECRET_KEY", old.as_str())]));
    ok(run(&db, &old, &["secrets", "status"], &[]));
    std::fs::remove_dir_all(&dir).unwrap();
}
