//! `poryadok duplicates` and `poryadok merge`: the duplicate finder and the merge, from a shell.
use anyhow::{bail, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_store::Db;

fn mergeable(path: &str) -> Result<Entity> {
    match Entity::from_path(path) {
        Some(e @ (Entity::Person | Entity::Organization)) => Ok(e),
        _ => bail!("'{path}': expected persons or organizations"),
    }
}

/// Prints each group as `reason  key  id name; id name…`.
pub async fn duplicates(db: &Db, workspace: i64, entity: &str, limit: usize) -> Result<()> {
    let entity = mergeable(entity)?;
    let actor = db.system_actor(workspace, Channel::Cli).await?;
    let groups = db.find_duplicates(&actor, entity, limit).await.map_err(crate::describe)?;
    let names = db.names(&actor, entity, groups.iter().flat_map(|g| g.ids.iter().copied())).await?;
    for g in &groups {
        let members: Vec<String> = g.ids.iter().map(|id| format!("{id} {}", names.get(id).map_or("", String::as_str))).collect();
        println!("{:<7} {:<32} {}", g.reason, g.key, members.join("; "));
    }
    println!("{} groups of duplicate {}", groups.len(), entity.path());
    Ok(())
}

/// Merges `remove` into `keep` and prints the kept record.
pub async fn merge(db: &Db, workspace: i64, entity: &str, keep: i64, remove: i64) -> Result<()> {
    let entity = mergeable(entity)?;
    let actor = db.system_actor(workspace, Channel::Cli).await?;
    let row = db.merge(&actor, entity, keep, remove).await.map_err(|e| match e {
        // The API's `merge_id` is the second id here.
        poryadok_store::StoreError::Validation(fe) if fe.field == "merge_id" => anyhow::anyhow!("REMOVE_ID {remove}: {}", fe.message()),
        other => crate::describe(other),
    })?;
    println!("{} {remove} merged into {keep}: {}", entity.name(), row.to_json());
    Ok(())
}
