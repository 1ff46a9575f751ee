"""A small SMTP server that keeps every mail it receives as a .eml file: the relay of
`appliance demo` (`appliance mail sink`), so the demo's mails land somewhere to read.

Standard library only (the box does not ship aiosmtpd, which the tests use): EHLO/HELO,
MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT; no STARTTLS, no AUTH — set
mail.starttls = false and no mail.username for it. One thread per connection.
"""
import itertools
import socketserver
import threading
from pathlib import Path

MAX_LINE = 1000 + 2  # RFC 5321: 1000 octets a line with CRLF
MAX_MAIL = 10 * 1024 * 1024


class _Session(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 appliance demo mail sink")
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 appliance demo mail sink")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.reply(self.server.keep(self._data()))
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 command not implemented")

    def _data(self):
        lines, size = [], 0
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line or line in (b".\r\n", b".\n"):
                return b"".join(lines)
            size += len(line)
            if size <= MAX_MAIL:
                lines.append(line[1:] if line.startswith(b"..") else line)


class MailSink(socketserver.ThreadingTCPServer):
    """Listens on (host, port); each mail becomes DIRECTORY/NNNNNN.eml."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        start = len(list(self.directory.glob("*.eml")))
        self._numbers = itertools.count(start + 1)
        self._lock = threading.Lock()
        super().__init__(address, _Session)

    def keep(self, content):
        with self._lock:
            path = self.directory / f"{next(self._numbers):06d}.eml"
        path.write_bytes(content)
        return f"250 kept as {path.name}"
