"""A private MariaDB primary and a replica replicating from it (GTID), for the replica test and bench/replica.py.

Both servers live in a temporary directory, run as child processes of ours and
listen on loopback only; the system MariaDB is never touched. `stop()` (also on
failure half-way through `start()`) kills them and removes the directory.

    with MariaDBPair(primary_port=3316, replica_port=3317) as pair:
        pair.primary.query("CREATE DATABASE medly")
        pair.wait_until_replica_caught_up()
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import MySQLdb

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
REPLICATION_USER = "medly_repl"
REPLICATION_PASSWORD = "medly-repl-local-only"  # noqa: S105 - a throwaway server on loopback
START_TIMEOUT_SECONDS = 30


def _run_as():
    # mariadbd refuses to run as root unless told to; any other user runs it as itself.
    return ["--user=root"] if os.geteuid() == 0 else []


class MariaDBServer:
    def __init__(self, root, *, name, port, server_id, binlog):
        self.datadir = Path(root, name)
        self.port = port
        self.server_id = server_id
        self.binlog = binlog
        self.process = None
        self.log = None

    @property
    def socket(self):
        return str(self.datadir / "mariadb.sock")

    def url(self, database):
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def install(self):
        subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={self.datadir}", *_run_as(),
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self):
        options = [
            MARIADBD, "--no-defaults", *_run_as(), f"--datadir={self.datadir}", f"--port={self.port}",
            "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--pid-file={self.datadir / 'mariadb.pid'}",
            f"--server-id={self.server_id}", "--skip-name-resolve", "--performance-schema=OFF",
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci", "--gtid-strict-mode=1",
            f"--relay-log={self.datadir / 'relay'}", f"--log-error={self.datadir / 'error.log'}",
        ]  # fmt: skip
        if self.binlog:
            options += [f"--log-bin={self.datadir / 'binlog'}", "--binlog-format=ROW", "--sync-binlog=0"]
        else:
            options += ["--read-only=1"]  # only replication (and root, for the tests) writes here
        self.process = subprocess.Popen(options, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                MySQLdb.connect(unix_socket=self.socket, user="root", connect_timeout=1).close()
                break
            except MySQLdb.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"MariaDB on port {self.port} did not start: {self.error_log()}") from None
                time.sleep(0.1)
        # Local accounts, kept out of the binary log so they never replicate onto the other server.
        self.query(
            "SET sql_log_bin = 0",
            "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
            "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
            f"CREATE USER '{REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '{REPLICATION_PASSWORD}'",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'127.0.0.1'",
        )

    def error_log(self):
        path = self.datadir / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no error log)"

    def query(self, *statements, database=None):
        """Run statements on one connection; the rows of the last one."""
        connection = MySQLdb.connect(unix_socket=self.socket, user="root", database=database or "", autocommit=True)
        try:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            return cursor.fetchall()
        finally:
            connection.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class MariaDBPair:
    def __init__(self, *, primary_port, replica_port):
        self.root = tempfile.mkdtemp(prefix="medly-mariadb-pair-")
        self.primary = MariaDBServer(self.root, name="primary", port=primary_port, server_id=1, binlog=True)
        self.replica = MariaDBServer(self.root, name="replica", port=replica_port, server_id=2, binlog=False)

    def start(self):
        try:
            for server in (self.primary, self.replica):
                server.install()
                server.start()
            self.replica.query(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', "
                f"MASTER_PORT={self.primary.port}, MASTER_USER='{REPLICATION_USER}', "
                f"MASTER_PASSWORD='{REPLICATION_PASSWORD}', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos",
                "START SLAVE",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for server in (self.replica, self.primary):
            server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def primary_position(self):
        return self.primary.query("SELECT @@gtid_binlog_pos")[0][0]

    def wait_until_replica_caught_up(self, timeout=20):
        position = self.primary_position()
        (waited,) = self.replica.query(f"SELECT MASTER_GTID_WAIT('{position}', {timeout})")[0]
        if waited != 0:
            status = self.replica.query("SHOW SLAVE STATUS")
            raise RuntimeError(f"replica did not reach {position} in {timeout} s: {status}")

    def stop_applying(self):
        """The replica keeps receiving the primary's changes but applies none: a lagging replica."""
        self.replica.query("STOP SLAVE SQL_THREAD")

    def resume_applying(self):
        self.replica.query("START SLAVE SQL_THREAD")

    def copy_schema(self, source, database):
        """Create ``database`` on the primary with the tables (no rows) of ``source``, an open MySQLdb-style cursor."""
        source.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        tables = [row[0] for row in source.fetchall()]
        statements = ["SET foreign_key_checks = 0"]
        for table in tables:
            source.execute(f"SHOW CREATE TABLE `{table}`")
            statements.append(source.fetchone()[1])
        self.primary.query(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        self.primary.query(*statements, database=database)
        return tables

    def empty_tables(self, database):
        """Delete every row of ``database`` on the primary (the replica follows), as `copy_schema` left it."""
        tables = [
            row[0] for row in self.primary.query("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'", database=database)
        ]
        deletes = [f"DELETE FROM `{table}`" for table in tables]  # noqa: S608 - names read from the server
        self.primary.query("SET foreign_key_checks = 0", *deletes, database=database)
