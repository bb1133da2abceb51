//! `poryadok import` end to end with the real binary and a real SQLite file: a Windows-1251 CSV
//! of persons (one of them already in the base under a differently spelt phone), a dry run that
//! writes nothing, the run, a re-import that changes nothing, the list and the rollback.
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_poryadok");

fn poryadok(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN).args(["--database", db]).args(args).output().expect("run poryadok");
    assert!(out.status.success(), "poryadok {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn persons_import_dry_then_for_real_then_again_and_roll_back() {
    let dir = std::env::temp_dir();
    let file = dir.join(format!("poryadok-import-{}.db", std::process::id()));
    let db = format!("sqlite://{}", file.display());
    poryadok(&db, &["user", "create", "--email", "admin@import.test", "--name", "Admin", "--role", "admin"]);
    let csv = dir.join(format!("poryadok-import-{}.csv", std::process::id()));
    let text =
        "ID;Имя;Телефон;Email;Должность\n1;Иван Петров;+7 (912) 345-67-89;ivan@romashka.ru;Директор\n2;Мария;89991112233;;\n3;Битый;12;;\n";
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'ё' => 0xB8,
            c => c as u8,
        })
        .collect();
    std::fs::write(&csv, bytes).unwrap();
    let path = csv.display().to_string();

    let dry = poryadok(&db, &["import", &path, "--entity", "person", "--preset", "generic", "--dry-run"]);
    assert!(dry.contains("dry run: nothing was saved"), "{dry}");
    assert!(dry.contains("3 rows: 2 new, 0 updated, 0 skipped, 1 failed"), "{dry}");
    assert!(dry.contains("line 4, column «Телефон»: “12” is not a phone number (bad_phone)"), "{dry}");

    let run = poryadok(&db, &["import", &path, "--entity", "person", "--preset", "generic"]);
    assert!(run.contains("3 rows: 2 new, 0 updated, 0 skipped, 1 failed"), "{run}");
    let again = poryadok(&db, &["import", &path, "--entity", "person", "--preset", "generic", "--duplicates", "update"]);
    assert!(again.contains("3 rows: 0 new, 0 updated, 2 skipped, 1 failed"), "{again}");

    let list = poryadok(&db, &["import", "list"]);
    let first = list.lines().rev().find(|l| l.split('\t').nth(1) == Some("done")).unwrap().split('\t').next().unwrap().to_string();
    assert!(list.lines().count() >= 3, "{list}");
    let rb = poryadok(&db, &["import", "rollback", &first]);
    assert!(rb.contains("2 records deleted"), "{rb}");
    // The file imports again after its rollback.
    let third = poryadok(&db, &["import", &path, "--entity", "person"]);
    assert!(third.contains("2 new"), "{third}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let _ = std::fs::remove_file(&csv);
}
