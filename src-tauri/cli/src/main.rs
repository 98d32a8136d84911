//! `takeboard-cli`: the command-line client of takeboard-core, usable without a display.
//!
//! Contract: JSON on stdout, human-readable errors on stderr, a non-zero exit on failure
//! (1: the command failed; 2: the command line was wrong). Every command is one call into
//! the core; this file only parses arguments and shapes output.

mod output;

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use takeboard_core::catalog::spend;
use takeboard_core::catalog::{self, projects, shots, Catalog};
use takeboard_core::domain::{RenderMode, TakeStatus};
use takeboard_core::export::{self, ExportFormat, ExportOptions, Placeholders};
use takeboard_core::ingest::{self, IngestConfig, SharedCatalog};
use takeboard_core::render::{key, luma::LumaClient, outbox};
use takeboard_core::review;

#[derive(Parser)]
#[command(
    name = "takeboard-cli",
    version,
    about = "Review AI video takes from the command line"
)]
struct Cli {
    /// The library database (default: the OS app-data folder).
    #[arg(long, global = true, env = "TAKEBOARD_LIBRARY")]
    library: Option<PathBuf>,
    /// The project to act on (default: the library's only project).
    #[arg(long, global = true)]
    project: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Copy the library file (and its -wal/-shm) aside, byte for byte, without opening it:
    /// what to do first with a library refused as damaged. Prints the copy's path.
    CopyAside,
    /// Index a folder once and print a summary.
    Scan {
        /// The folder of clips.
        folder: PathBuf,
    },
    /// Index a folder, then watch it until interrupted; one JSON line per take event.
    Watch {
        /// The folder of clips.
        folder: PathBuf,
    },
    /// List shots in order.
    Shots {
        /// Print JSON (the only format; accepted for clarity in scripts).
        #[arg(long)]
        json: bool,
    },
    /// List takes.
    Takes {
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
        /// Only the takes of this shot.
        #[arg(long)]
        shot: Option<String>,
    },
    /// Move a take to another shot (created if needed); rescans never undo it.
    Move {
        /// Take id.
        take: i64,
        /// Shot code.
        shot: String,
    },
    /// Rename a shot; rescans never undo it.
    RenameShot {
        /// Shot code.
        code: String,
        /// New name.
        name: String,
    },
    /// Move a shot to a 1-based position in the shot list.
    Reorder {
        /// Shot code.
        code: String,
        /// New position (1 = first).
        position: i64,
    },
    /// Set a take's status (approve with `approve`).
    Mark {
        /// Take id.
        take: i64,
        /// selected, hold, rejected or unreviewed.
        status: TakeStatus,
    },
    /// Approve a take: a Flash take gets exactly one Standard render request; a Standard
    /// take is marked final.
    Approve {
        /// Take id.
        take: i64,
        /// regenerate, modify or upscale (default: the project setting).
        #[arg(long)]
        mode: Option<RenderMode>,
        /// 540p, 720p, 1080p or 4k (default: the project setting).
        #[arg(long)]
        resolution: Option<String>,
    },
    /// Withdraw an approval (cancels its request unless it was already sent).
    Unapprove {
        /// Take id.
        take: i64,
    },
    /// Mark a take final for its shot.
    Final {
        /// Take id.
        take: i64,
    },
    /// Set a take's trim, in frames (out is exclusive).
    Trim {
        /// Take id.
        take: i64,
        /// First frame kept.
        r#in: u64,
        /// First frame not kept.
        out: u64,
    },
    /// Add a note anchored to a frame.
    Note {
        /// Take id.
        take: i64,
        /// Frame (0-based).
        frame: u64,
        /// The note.
        text: String,
    },
    /// List render requests, or export them as Luma request bodies.
    Requests {
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<RequestsAction>,
    },
    /// Send the project's queued render requests to Luma (needs LUMA_API_KEY or a saved
    /// key), then poll. Only the project's requests are touched.
    Submit {
        /// Only these requests (comma-separated ids), and only those still queued.
        #[arg(long, value_delimiter = ',')]
        only: Option<Vec<i64>>,
    },
    /// Credits spent and pending, per shot and in total.
    Credits {
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
    },
    /// Export the shot list for Premiere.
    Export {
        /// fcp7xml (default), edl, otio or csv.
        #[arg(long, default_value = "fcp7xml")]
        format: ExportFormat,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// Only these shots (comma-separated codes).
        #[arg(long, value_delimiter = ',')]
        shots: Option<Vec<String>>,
        /// What to do with approved-but-not-final shots: include, gap or skip.
        #[arg(long, default_value = "include")]
        placeholders: Placeholders,
        /// Record start timecode (default 01:00:00:00).
        #[arg(long)]
        start: Option<String>,
    },
}

#[derive(Subcommand)]
enum RequestsAction {
    /// Write the queued requests as a JSON array of Luma request bodies; they become
    /// `exported` and Submit no longer sends them.
    Export {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Resolve a request whose send is uncertain (`unknown`) or that was exported: link
    /// the generation Luma made, send it again from here, or cancel it.
    #[command(group(clap::ArgGroup::new("resolution").required(true).args(["link", "resend", "cancel"])))]
    Resolve {
        /// The request id.
        request: i64,
        /// Luma has it as this generation: follow it (polled and downloaded).
        #[arg(long)]
        link: Option<String>,
        /// It was never made: queue it to be sent again.
        #[arg(long)]
        resend: bool,
        /// Give it up.
        #[arg(long)]
        cancel: bool,
    },
}

/// A failure to report on stderr.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("takeboard-cli: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn ingest_config() -> IngestConfig {
    let mut cfg = IngestConfig::default();
    if let Some(ms) = std::env::var("TAKEBOARD_SETTLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.settle = std::time::Duration::from_millis(ms);
    }
    cfg
}

fn run(cli: Cli) -> Result<(), Failure> {
    let library = cli.library.unwrap_or_else(catalog::default_library_path);
    if let Command::CopyAside = cli.command {
        let copy = Catalog::copy_aside(&library)?;
        return print_json(&serde_json::json!({ "copy": copy }));
    }
    let mut cat = Catalog::open(&library)?;
    match cli.command {
        // Answered above, before the library is opened.
        Command::CopyAside => Ok(()),
        Command::Scan { folder } => {
            let project_id = ingest::attach_folder(&mut cat, cli.project.as_deref(), &folder)?;
            let shared: SharedCatalog = Arc::new(Mutex::new(cat));
            let cfg = ingest_config();
            let report = ingest::reconcile_project(&shared, project_id, &cfg, cfg.churn_limit)?;
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "indexed: {} added, {} restored, {} changed, {} unchanged, {} missing, {} errors",
                    report.added,
                    report.restored,
                    report.changed,
                    report.unchanged,
                    report.missing,
                    report.errors.len()
                );
            }
            print_json(&output::scan_summary(&report))
        }
        Command::Watch { folder } => {
            let project_id = ingest::attach_folder(&mut cat, cli.project.as_deref(), &folder)?;
            watch(Arc::new(Mutex::new(cat)), project_id)
        }
        Command::Shots { json: _ } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            print_json(&output::shots(&cat, project_id)?)
        }
        Command::Takes { json: _, shot } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            let shot_id = match shot {
                Some(code) => Some(
                    shots::shot_by_code(cat.conn(), project_id, &code)?
                        .ok_or_else(|| Failure(format!("no shot {code}")))?
                        .id,
                ),
                None => None,
            };
            print_json(&output::takes(&cat, project_id, shot_id)?)
        }
        Command::Move { take, shot } => {
            let row = cat.move_take(take, &shot)?;
            print_json(&output::take(&row))
        }
        Command::RenameShot { code, name } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            cat.rename_shot(project_id, &code, &name)?;
            print_json(&output::shots(&cat, project_id)?)
        }
        Command::Reorder { code, position } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            cat.reorder_shot(project_id, &code, position)?;
            print_json(&output::shots(&cat, project_id)?)
        }
        Command::Mark { take, status } => {
            review::set_status(&mut cat, take, status)?;
            print_take(&cat, take)
        }
        Command::Approve {
            take,
            mode,
            resolution,
        } => {
            let approval =
                review::approve(&mut cat, take, review::ApproveOptions { mode, resolution })?;
            if let Some(w) = &approval.budget_warning {
                eprintln!("takeboard-cli: warning: {w}");
            }
            print_json(&serde_json::to_value(&approval)?)
        }
        Command::Unapprove { take } => {
            review::unapprove(&mut cat, take)?;
            print_take(&cat, take)
        }
        Command::Final { take } => {
            review::mark_final(&mut cat, take)?;
            print_take(&cat, take)
        }
        Command::Trim { take, r#in, out } => {
            review::set_trim(&mut cat, take, Some(r#in), Some(out))?;
            print_take(&cat, take)
        }
        Command::Note { take, frame, text } => {
            let note = review::add_note(&mut cat, take, frame, &text)?;
            print_json(&serde_json::to_value(&note)?)
        }
        Command::Requests { json: _, action } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            match action {
                None => print_json(&output::requests(&review::requests(
                    cat.conn(),
                    project_id,
                )?)),
                Some(RequestsAction::Export { out }) => {
                    let out = absolute(&out)?;
                    let exported = outbox::export_queued(&mut cat, project_id, &out)?;
                    print_json(&serde_json::json!({ "path": out, "count": exported.len() }))
                }
                Some(RequestsAction::Resolve {
                    request,
                    link,
                    resend,
                    cancel,
                }) => {
                    let resolution = match (link, resend, cancel) {
                        (Some(id), _, _) => outbox::Resolution::Link(id),
                        (None, true, _) => outbox::Resolution::Resend,
                        _ => outbox::Resolution::Cancel,
                    };
                    outbox::resolve_request(&mut cat, request, resolution)?;
                    print_json(&output::requests(&[review::request(cat.conn(), request)?]))
                }
            }
        }
        Command::Submit { only } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            let client =
                LumaClient::from_env(key::user_saved_key().as_deref()).ok_or_else(|| {
                    Failure(
                        "no Luma API key: set LUMA_API_KEY or save a key in the app's settings"
                            .into(),
                    )
                })?;
            let scope = match only {
                Some(ids) => outbox::SubmitScope::only(project_id, ids),
                None => outbox::SubmitScope::project(project_id),
            };
            let mut sender = outbox::Outbox::new(outbox::Limits::default(), outbox::SystemClock);
            let report = sender.run_pass(&mut cat, &client, &scope)?;
            for id in &report.recovered {
                eprintln!("takeboard-cli: warning: render request {id} was being sent when Takeboard stopped; it is now 'unknown' — resolve it with `requests resolve {id}`");
            }
            for (id, generation) in &report.lookup.linked {
                eprintln!("takeboard-cli: note: render request {id} was found at Luma as generation {generation} and linked");
            }
            if let Some(hold) = &report.submit.hold {
                eprintln!("takeboard-cli: note: {hold:?}");
            }
            print_json(&output::requests(&review::requests(
                cat.conn(),
                project_id,
            )?))
        }
        Command::Credits { json: _ } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            print_json(&serde_json::to_value(spend::credits(
                cat.conn(),
                project_id,
            )?)?)
        }
        Command::Export {
            format,
            out,
            shots,
            placeholders,
            start,
        } => {
            let project_id = existing_project(&cat, cli.project.as_deref())?;
            let timeline = export::project_timeline(cat.conn(), project_id)?;
            let options = ExportOptions {
                format,
                placeholders,
                start,
                shots,
            };
            let summary = export::write_export(&timeline, &options, &absolute(&out)?)?;
            print_json(&serde_json::to_value(&summary)?)
        }
    }
}

fn absolute(path: &std::path::Path) -> Result<PathBuf, Failure> {
    Ok(if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    })
}

fn print_take(cat: &Catalog, take: i64) -> Result<(), Failure> {
    print_json(&output::take(&catalog::takes::take(cat.conn(), take)?))
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out));
    match written {
        // The reader went away (`| head`): it has what it wanted; not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The project named on the command line, else the library's only project.
fn existing_project(cat: &Catalog, name: Option<&str>) -> Result<i64, Failure> {
    if let Some(name) = name {
        return Ok(projects::project_by_name(cat.conn(), name)?
            .ok_or_else(|| {
                Failure(format!(
                    "no project named {name:?} in {}",
                    cat.path().display()
                ))
            })?
            .id);
    }
    let all = projects::projects(cat.conn())?;
    match all.as_slice() {
        [only] => Ok(only.id),
        [] => Err(Failure(format!(
            "the library {} has no project yet; run `takeboard-cli scan FOLDER` first",
            cat.path().display()
        ))),
        many => Err(Failure(format!(
            "the library has several projects; name one with --project ({})",
            many.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn watch(cat: SharedCatalog, project_id: i64) -> Result<(), Failure> {
    let handle = ingest::watch(
        cat,
        project_id,
        ingest_config(),
        |event| {
            let mut out = std::io::stdout().lock();
            if serde_json::to_writer(&mut out, event).is_ok() {
                let _ = writeln!(out);
                let _ = out.flush();
            }
        },
        |error| eprintln!("takeboard-cli: warning: {error}"),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    })?;
    handle.stop();
    Ok(())
}
