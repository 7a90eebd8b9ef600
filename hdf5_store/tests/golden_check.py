"""Compares `h5dump` of the known record with the checked-in golden .ddl.

Usage: golden_check.py FIXTURES_TOOL GOLDEN.ddl [--update]
The hpcmon_version attribute is dropped before comparing (it follows the release), and the
file name on the first line is normalised.
"""
import difflib
import pathlib
import subprocess
import sys
import tempfile


def normalised_dump(path):
    out = subprocess.run(["h5dump", str(path)], check=True, capture_output=True, text=True).stdout
    lines, skipping = [], False
    for line in out.splitlines():
        if line.startswith('HDF5 "'):
            line = 'HDF5 "known.h5" {'
        if line.strip() == 'ATTRIBUTE "hpcmon_version" {':
            skipping, indent = True, line[: len(line) - len(line.lstrip())]
            continue
        if skipping:
            if line == indent + "}":
                skipping = False
            continue
        lines.append(line)
    return lines


def main():
    tool, golden = sys.argv[1], pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([tool, d], check=True)
        got = normalised_dump(pathlib.Path(d) / "known.h5")
    if "--update" in sys.argv:
        golden.write_text("\n".join(got) + "\n")
        print(f"wrote {golden}")
        return 0
    want = golden.read_text().splitlines()
    if got != want:
        sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(want, got, "golden", "now", lineterm=""))
        print("FAIL: h5dump of the known record differs from the golden file")
        return 1
    print(f"golden h5dump matches ({len(got)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
