"""Rows a run has planned but not queued yet, kept in a temporary file.

The paced notice run plans all of the day's service notices before it queues any (what does
not fit is reported first): on a book of a million policies that is up to 150,000 rendered
rows, too many to hold in memory beside the rest. They are pickled to an unnamed temporary
file a batch at a time; beside each row only its category, parts and whether it goes stay in
memory (`meta`), which is what fitting them to the day's capacity needs.
"""
import pickle
import tempfile

BATCH = 1_000


class Staged:
    def __init__(self):
        self.meta = []       # [category, parts, goes today?] a row, in order
        self._file = None
        self._batch = []

    def append(self, row, parts):
        self.meta.append([row["category"], parts, True])
        self._batch.append(row)
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self):
        if self._batch:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="appliance-notices-")
            pickle.dump(self._batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []

    def rows(self):
        """(row, meta) in order, read back a batch at a time."""
        self._flush()
        if self._file is None:
            return
        self._file.seek(0)
        index = 0
        while index < len(self.meta):
            for row in pickle.load(self._file):
                yield row, self.meta[index]
                index += 1

    def __len__(self):
        return len(self.meta)

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None
