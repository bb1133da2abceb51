//! `poryadok quiz`: the workspace's quizzes (list), everyone's results per person (results, also
//! as CSV for a spreadsheet), and assigning a quiz now (assign). See docs/QUIZZES.md.
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use poryadok_core::domain::Channel;
use poryadok_store::Db;

#[derive(Subcommand)]
pub enum QuizCommand {
    /// Print the quizzes: key, title, questions, pass mark, time limit, attempts, role.
    List {
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Print each person's standing per quiz: attempts, best and last score, passed or due.
    Results {
        /// Only this quiz (its key).
        #[arg(long)]
        quiz: Option<String>,
        /// Only this person (their e-mail).
        #[arg(long)]
        user: Option<String>,
        /// Comma-separated values with a header line, for a spreadsheet.
        #[arg(long)]
        csv: bool,
        #[arg(long)]
        workspace: Option<i64>,
    },
    /// Assign a quiz now to the people named by e-mail (everyone active when none are).
    Assign {
        /// The quiz's key.
        key: String,
        #[arg(long = "user")]
        users: Vec<String>,
        #[arg(long)]
        workspace: Option<i64>,
    },
}

fn or_dash(v: Option<i64>, unit: &str) -> String {
    v.map(|v| format!("{v}{unit}")).unwrap_or_else(|| "-".into())
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub async fn run(db: &Db, command: QuizCommand) -> Result<()> {
    match command {
        QuizCommand::List { workspace } => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let quizzes = db.quizzes(&actor).await.map_err(crate::describe)?;
            if quizzes.is_empty() {
                println!("no quizzes");
            }
            println!("{:<20} {:<32} {:>9} {:>5} {:>6} {:>8}  role", "key", "title", "questions", "pass", "time", "attempts");
            for q in quizzes {
                let s = q.spec;
                println!(
                    "{:<20} {:<32} {:>9} {:>4}% {:>6} {:>8}  {}",
                    s.key,
                    s.title,
                    s.questions.len(),
                    s.pass_percent,
                    or_dash(s.time_limit_minutes, "m"),
                    or_dash(s.max_attempts, ""),
                    s.required_for_role.unwrap_or_else(|| "-".into())
                );
            }
            Ok(())
        }
        QuizCommand::Results { quiz, user, csv, workspace } => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let quizzes = db.quizzes(&actor).await.map_err(crate::describe)?;
            let quiz_id = match &quiz {
                Some(k) => {
                    Some(quizzes.iter().find(|q| &q.spec.key == k).map(|q| q.id).with_context(|| format!("no quiz with the key {k}"))?)
                }
                None => None,
            };
            let user_id = match &user {
                Some(e) => Some(match db.user_by_email(e).await.map_err(crate::describe)? {
                    Some((ws, id)) if ws == actor.ws_id() => id,
                    _ => bail!("no user {e} in this workspace"),
                }),
                None => None,
            };
            let results = db.quiz_results(&actor).await.map_err(crate::describe)?;
            let rows: Vec<_> = results
                .users
                .into_iter()
                .filter(|r| quiz_id.is_none_or(|q| r.quiz_id == q) && user_id.is_none_or(|u| r.user_id == u))
                .collect();
            let status = |r: &poryadok_store::quiz::UserResult| {
                if r.passed {
                    "passed"
                } else if r.attempts > 0 {
                    "failed"
                } else {
                    "due"
                }
            };
            if csv {
                println!("user,quiz,attempts,best_percent,last_percent,status,last_at");
                for r in &rows {
                    println!(
                        "{},{},{},{},{},{},{}",
                        csv_cell(&r.user_name),
                        csv_cell(&r.quiz_title),
                        r.attempts,
                        r.best_percent.map(|p| p.to_string()).unwrap_or_default(),
                        r.last_percent.map(|p| p.to_string()).unwrap_or_default(),
                        status(r),
                        r.last_at.clone().unwrap_or_default()
                    );
                }
                return Ok(());
            }
            if rows.is_empty() {
                println!("no results");
                return Ok(());
            }
            println!("{:<24} {:<32} {:>8} {:>5} {:>5}  status", "user", "quiz", "attempts", "best", "last");
            for r in &rows {
                println!(
                    "{:<24} {:<32} {:>8} {:>5} {:>5}  {}",
                    r.user_name,
                    r.quiz_title,
                    r.attempts,
                    or_dash(r.best_percent, "%"),
                    or_dash(r.last_percent, "%"),
                    status(r)
                );
            }
            Ok(())
        }
        QuizCommand::Assign { key, users, workspace } => {
            let actor = db.system_actor(crate::first_workspace(db, workspace).await?, Channel::Cli).await?;
            let quizzes = db.quizzes(&actor).await.map_err(crate::describe)?;
            let id = quizzes.iter().find(|q| q.spec.key == key).map(|q| q.id).with_context(|| format!("no quiz with the key {key}"))?;
            let mut ids = Vec::new();
            for e in &users {
                match db.user_by_email(e).await.map_err(crate::describe)? {
                    Some((ws, id)) if ws == actor.ws_id() => ids.push(id),
                    _ => bail!("no user {e} in this workspace"),
                }
            }
            let n = db.assign_quiz(&actor, id, (!ids.is_empty()).then_some(ids)).await.map_err(crate::describe)?;
            println!("{key}: assigned to {n} user(s) (those with it already due are skipped)");
            Ok(())
        }
    }
}
