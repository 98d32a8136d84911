//! A throwaway PostgreSQL server in a temporary folder, from the machine's own PostgreSQL
//! binaries: what the tests and `make team-demo` run a studio library on. Never a
//! studio's real server (no durability: fsync is off).

use super::StudioError;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running server on a random loopback port, its data and socket in one temp folder;
/// stopped and deleted on drop, or by its guard when this process dies without dropping
/// it (a test binary's static, a killed demo). Trust authentication: any role logs in.
pub struct ThrowawayServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    /// A `sh` waiting for end-of-file on its stdin, whose write end only this process
    /// holds (close-on-exec): when it closes, however this process ends, the guard stops
    /// the server and deletes the folder.
    guard: Option<(ChildStdin, Child)>,
}

impl ThrowawayServer {
    /// Creates a cluster (`initdb`, as the `postgres` user when running as root, since
    /// initdb refuses root) and starts it; a few seconds.
    pub fn start() -> Result<ThrowawayServer, StudioError> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!(
            "takeboard-pg-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        std::fs::create_dir(&dir).map_err(|e| local(format!("{}: {e}", dir.display())))?;
        let as_postgres = running_as_root();
        let mut server = ThrowawayServer {
            dir,
            bin,
            port: 0,
            as_postgres,
            guard: None,
        };
        if as_postgres {
            server.run(
                "chown",
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&server.dir),
            )?;
        }
        let data = server.data_dir();
        let mut initdb = server.pg_command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        ]);
        server.run("initdb", &mut initdb)?;
        // A port picked free can be taken before the server binds it: try a few.
        let mut last = None;
        for _ in 0..5 {
            server.port = free_port()?;
            match server.pg_ctl(&["start"]) {
                Ok(()) => {
                    server.guard = Some(server.spawn_guard()?);
                    return Ok(server);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| local("no free port".into())))
    }

    /// The URL of `database` as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        self.url_as("postgres", database)
    }

    /// The URL of `database` as `role`.
    pub fn url_as(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }

    /// The server's own `psql`, a client that is not Takeboard (for tests that kill one).
    pub fn psql(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server cleanly and starts it again on the same port (clients lose their
    /// connections; committed data stays).
    pub fn restart(&self) -> Result<(), StudioError> {
        self.pg_ctl(&["restart", "-m", "fast"])
    }

    /// Creates an empty database, or a copy of `template`'s.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<(), StudioError> {
        let mut client = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)?;
        let sql = match template {
            Some(t) => format!(
                "CREATE DATABASE {} TEMPLATE {}",
                super::quote_ident(name),
                super::quote_ident(t)
            ),
            None => format!("CREATE DATABASE {}", super::quote_ident(name)),
        };
        client.batch_execute(&sql)?;
        Ok(())
    }

    fn spawn_guard(&self) -> Result<(ChildStdin, Child), StudioError> {
        let stop = self.pg_command("pg_ctl");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat >/dev/null; \"$@\"; rm -rf \"$0\""])
            .arg(&self.dir)
            .arg(stop.get_program())
            .args(stop.get_args())
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| local(format!("sh: {e}")))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| local("no guard pipe".into()))?;
        Ok((stdin, child))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl(&self, action: &[&str]) -> Result<(), StudioError> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let mut cmd = self.pg_command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "60", "-o", &options])
            .args(action);
        self.run("pg_ctl", &mut cmd).map_err(|e| {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            local(format!("{e}; server log: {}", tail.join(" | ")))
        })
    }

    fn pg_command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    fn run(&self, what: &str, cmd: &mut Command) -> Result<(), StudioError> {
        let out = cmd
            .current_dir(&self.dir)
            .output()
            .map_err(|e| local(format!("{what}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(local(format!(
                "{what} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

impl Drop for ThrowawayServer {
    fn drop(&mut self) {
        match self.guard.take() {
            Some((stdin, mut guard)) => {
                drop(stdin);
                let _ = guard.wait();
            }
            None => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}

fn local(detail: String) -> StudioError {
    StudioError::LocalServer(detail)
}

/// The effective user is root (initdb refuses to run as root).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The newest PostgreSQL's binaries: Debian's `/usr/lib/postgresql/<major>/bin`, else
/// what `pg_config --bindir` says.
fn bin_dir() -> Result<PathBuf, StudioError> {
    let debian = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(debian).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let major: u32 = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((major, bin))
            })
            .max()
            .map(|(_, bin)| bin)
    });
    if let Some(bin) = newest {
        return Ok(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output();
    match out {
        Ok(out) if out.status.success() => {
            let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if bin.join("initdb").is_file() {
                return Ok(bin);
            }
            Err(local(format!("no initdb in {}", bin.display())))
        }
        _ => Err(local(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no pg_config): `apt-get install postgresql`".into(),
        )),
    }
}

fn free_port() -> Result<u16, StudioError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| local(format!("no free loopback port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| local(e.to_string()))
}
