//! `takeboard-cli`: the command-line client of takeboard-core, usable without a display.
//!
//! Contract: JSON on stdout, human-readable errors on stderr, a non-zero exit on failure
//! (1: the command failed; 2: the command line was wrong). Every command is one call of
//! `takeboard_core::api` (after naming its project and shots); this file only parses
//! arguments and shapes output.

mod output;

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use takeboard_core::api::{
    self, default_library_path, ExportFormat, Library, Placeholders, ResolveAction, ShotSelection,
    TimelineChoice,
};
use takeboard_core::domain::{RenderMode, RequestId, StudioRole, TakeId, TakeStatus};

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
    /// A studio library on a PostgreSQL server: create it, give people roles.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
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
        take: TakeId,
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
        take: TakeId,
        /// selected, hold, rejected or unreviewed.
        status: TakeStatus,
    },
    /// Approve a take: a Flash take gets exactly one Standard render request; a Standard
    /// take is marked final.
    Approve {
        /// Take id.
        take: TakeId,
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
        take: TakeId,
    },
    /// Mark a take final for its shot (`--clear`: it is no longer final).
    Final {
        /// Take id.
        take: TakeId,
        /// Clear the take's final mark instead.
        #[arg(long)]
        clear: bool,
    },
    /// Set a take's trim, in frames (out is exclusive).
    Trim {
        /// Take id.
        take: TakeId,
        /// First frame kept.
        r#in: i64,
        /// First frame not kept.
        out: i64,
    },
    /// Add a note anchored to a frame.
    Note {
        /// Take id.
        take: TakeId,
        /// Frame (0-based).
        frame: i64,
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
        only: Option<Vec<RequestId>>,
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
        request: RequestId,
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

#[derive(Subcommand)]
enum DbAction {
    /// Create or update the schema and the group roles (as the server's superuser or the
    /// database owner); a newer schema is refused untouched.
    Init {
        /// The studio library, `postgres://USER@HOST[:PORT]/DB` (password: PGPASSWORD).
        url: String,
    },
    /// Give a person a role (creating their login when missing): editor, approver,
    /// render or admin. The library is `--library URL`.
    Grant {
        /// Their PostgreSQL login role.
        user: String,
        /// editor, approver, render or admin.
        role: StudioRole,
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

fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Db { action } = &cli.command {
        return db(cli.library.as_deref(), action);
    }
    let library = cli.library.unwrap_or_else(default_library_path);
    if let Command::CopyAside = cli.command {
        return print_json(&serde_json::json!({ "copy": api::copy_aside(&library)? }));
    }
    let lib = Library::open(&library)?;
    let named = cli.project.as_deref();
    match cli.command {
        // Answered above, before the library is opened.
        Command::CopyAside | Command::Db { .. } => Ok(()),
        Command::Scan { folder } => {
            let report = lib.scan_folder(named, &folder)?;
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
        Command::Watch { folder } => watch(&lib, named, &folder),
        Command::Shots { json: _ } => print_json(&output::shots(&lib.shots(lib.project(named)?)?)),
        Command::Takes { json: _, shot } => {
            let project = lib.project(named)?;
            let shot = shot.map(|code| lib.shot_id(project, &code)).transpose()?;
            print_json(&output::takes(&lib.takes(project, shot)?))
        }
        Command::Move { take, shot } => print_json(&output::take(&lib.move_take(take, &shot)?)),
        Command::RenameShot { code, name } => {
            let shot = lib.shot_id(lib.project(named)?, &code)?;
            print_json(&output::shot(&lib.rename_shot(shot, &name)?))
        }
        Command::Reorder { code, position } => {
            let project = lib.project(named)?;
            let shots = lib.reorder_shot(lib.shot_id(project, &code)?, position)?;
            print_json(&output::shots(&shots))
        }
        Command::Mark { take, status } => print_json(&output::take(&lib.set_status(take, status)?)),
        Command::Approve {
            take,
            mode,
            resolution,
        } => {
            let approval = lib.approve(take, mode, resolution)?.approval;
            if let Some(w) = &approval.budget_warning {
                eprintln!("takeboard-cli: warning: {w}");
            }
            print_json(&serde_json::to_value(&approval)?)
        }
        Command::Unapprove { take } => print_json(&output::take(&lib.unapprove(take)?)),
        Command::Final { take, clear: false } => print_json(&output::take(&lib.mark_final(take)?)),
        Command::Final { take, clear: true } => print_json(&output::take(&lib.clear_final(take)?)),
        Command::Trim { take, r#in, out } => {
            print_json(&output::take(&lib.set_trim(take, Some(r#in), Some(out))?))
        }
        Command::Note { take, frame, text } => {
            let added = lib.add_note(take, frame, &text)?;
            print_json(&serde_json::to_value(&added.note)?)
        }
        Command::Requests { json: _, action } => {
            let project = lib.project(named)?;
            match action {
                None => print_json(&output::requests(&lib.requests(project)?)),
                Some(RequestsAction::Export { out }) => {
                    let written = lib.export_requests(project, &out)?;
                    print_json(
                        &serde_json::json!({ "path": written.path, "count": written.content }),
                    )
                }
                Some(RequestsAction::Resolve {
                    request,
                    link,
                    resend,
                    cancel,
                }) => {
                    let action = match (&link, resend, cancel) {
                        (Some(_), _, _) => ResolveAction::Link,
                        (None, true, _) => ResolveAction::Resend,
                        _ => ResolveAction::Cancel,
                    };
                    let resolved = lib.resolve_request(request, action, link.as_deref())?;
                    print_json(&output::requests(&[resolved]))
                }
            }
        }
        Command::Submit { only } => {
            let summary = lib.submit(lib.project(named)?, only)?;
            for id in &summary.recovered {
                eprintln!("takeboard-cli: warning: render request {id} was being sent when Takeboard stopped; it is now 'unknown' — resolve it with `requests resolve {id}`");
            }
            for (id, generation) in &summary.auto_linked {
                eprintln!("takeboard-cli: note: render request {id} was found at Luma as generation {generation} and linked");
            }
            if let Some(hold) = &summary.hold {
                eprintln!("takeboard-cli: note: {hold}");
            }
            print_json(&output::requests(&summary.requests))
        }
        Command::Credits { json: _ } => {
            print_json(&serde_json::to_value(lib.credits(lib.project(named)?)?)?)
        }
        Command::Export {
            format,
            out,
            shots,
            placeholders,
            start,
        } => {
            let choice = TimelineChoice {
                format,
                placeholders,
                start,
                shots: shots.map_or(ShotSelection::All, ShotSelection::Codes),
            };
            let written = lib.export_timeline(lib.project(named)?, choice, &out)?;
            print_json(&serde_json::to_value(&written.content)?)
        }
    }
}

/// The `db` commands: they name a studio library by URL and open no catalog.
fn db(library: Option<&std::path::Path>, action: &DbAction) -> Result<(), Failure> {
    match action {
        DbAction::Init { url } => print_json(&serde_json::to_value(api::studio_init(url)?)?),
        DbAction::Grant { user, role } => {
            let url = library.and_then(std::path::Path::to_str).ok_or_else(|| {
                Failure("db grant needs the studio library: --library postgres://…".into())
            })?;
            print_json(&serde_json::to_value(api::studio_grant(url, user, *role)?)?)
        }
    }
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

/// Watches `folder` (added to the named project) until SIGINT or SIGTERM, one JSON line
/// per take event on stdout.
fn watch(lib: &Library, project: Option<&str>, folder: &std::path::Path) -> Result<(), Failure> {
    lib.watch_folder(
        project,
        folder,
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
    lib.stop_watching();
    Ok(())
}
