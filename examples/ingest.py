"""Ingest a folder into a neardup index and print what each new file reuses.

    python examples/ingest.py corpus.ndx incoming/
    python examples/ingest.py "redis://127.0.0.1:6379/0?basename=corpus" incoming/

Files whose path is already in the index are skipped, so the script can run again on a
growing folder (from cron, or after each crawl). Each new file is added with its path and
encoding as metadata; the matches printed are those against what the index held before.
"""

from __future__ import annotations

import sys

from neardup import Index, read_paths


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    location, folder = argv
    read = read_paths([folder])
    for warning in read.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    with Index.open(location) as index:
        new = [doc for doc in read.documents if doc.id not in index]
        added = index.add_many((doc.id, doc.text, {"path": doc.path, "encoding": doc.encoding}) for doc in new)
        for result in added:
            if not result.matches:
                print(f"{result.doc_id}: new")
                continue
            print(f"{result.doc_id}: reuses {len(result.matches)} document(s)")
            text = next(doc.text for doc in new if doc.id == result.doc_id)
            for match in result.matches:
                print(f"  {match.doc_id}: {match.coverage:.0%} of this file, similarity {match.score:.2f}")
                for span in match.spans:
                    snippet = text[span.a_start : span.a_end].strip().replace("\n", " ")[:30]
                    print(
                        f"    [{span.a_start}, {span.a_end}) ~ [{span.b_start}, {span.b_end})"
                        f" lines {span.b_line_start}-{span.b_line_end}: {snippet}…"
                    )
            for cluster in result.joined:
                print(f"  joins cluster {cluster}")
            for cluster in result.started:
                print(f"  starts cluster {cluster}")
        print(f"{len(added)} new files; {len(index)} documents in {index.location}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
