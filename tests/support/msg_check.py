#!/usr/bin/env python3
"""Reads Outlook MSG files with olefile (an implementation independent of vex and of the cfb crate) and
prints what they hold as JSON: for tests/msg_files.rs.

    python3 tests/support/msg_check.py FILE.msg      # one message
    python3 tests/support/msg_check.py FILE.zip      # every .msg inside a ZIP archive

Property layout from [MS-OXMSG]: fixed-size values in __properties_version1.0 (after a 32-byte header at
the top, 8 bytes in recipient and attachment storages), variable-size ones in __substg1.0_IIIITTTT streams.
"""

import io
import json
import struct
import sys
import zipfile

import olefile

MSG_CLSID = "00020D0B-0000-0000-C000-000000000046"


def text(ole, path):
    for ty, enc in (("001F", "utf-16-le"), ("001E", "utf-8")):
        name = path + ty
        if ole.exists(name):
            return ole.openstream(name).read().decode(enc)
    return None


def props(ole, storage, header):
    """{(id, type): 8-byte value} from a property stream."""
    name = (storage + "/" if storage else "") + "__properties_version1.0"
    data = ole.openstream(name).read()[header:]
    out = {}
    for i in range(0, len(data) - len(data) % 16, 16):
        tag, _flags = struct.unpack_from("<II", data, i)
        out[(tag >> 16, tag & 0xFFFF)] = data[i + 8 : i + 16]
    return out


def message(raw):
    ole = olefile.OleFileIO(io.BytesIO(raw))
    top = props(ole, "", 32)
    sub = lambda p, idt: text(ole, (p + "/" if p else "") + "__substg1.0_" + idt)
    recipients = []
    attachments = []
    for entry in ole.listdir(streams=False, storages=True):
        if len(entry) != 1:
            continue
        st = entry[0]
        if st.startswith("__recip_version1.0_#"):
            p = props(ole, st, 8)
            kind = struct.unpack("<I", p.get((0x0C15, 0x0003), b"\0" * 8)[:4])[0]
            recipients.append(
                {"kind": kind, "name": sub(st, "3001"), "smtp": sub(st, "39FE")}
            )
        elif st.startswith("__attach_version1.0_#"):
            p = props(ole, st, 8)
            size = struct.unpack("<I", p.get((0x0E20, 0x0003), b"\0" * 8)[:4])[0]
            data = st + "/__substg1.0_37010102"
            attachments.append(
                {
                    "name": sub(st, "3707"),
                    "size": size,
                    "dataLen": len(ole.openstream(data).read()) if ole.exists(data) else None,
                }
            )
    html = None
    if ole.exists("__substg1.0_10130102"):
        html = ole.openstream("__substg1.0_10130102").read().decode("utf-8")
    sent = top.get((0x0039, 0x0040))
    return {
        "clsid": ole.root.clsid,
        "class": sub("", "001A"),
        "subject": sub("", "0037"),
        "senderName": sub("", "0C1A"),
        "senderSmtp": sub("", "5D01"),
        "displayTo": sub("", "0E04"),
        "sentFiletime": struct.unpack("<Q", sent)[0] if sent else None,
        "body": sub("", "1000"),
        "html": html,
        "recipients": sorted(recipients, key=lambda r: (r["kind"], r["smtp"] or "")),
        "attachments": attachments,
    }


def main():
    path = sys.argv[1]
    raw = open(path, "rb").read()
    if raw[:4] == b"PK\x03\x04":
        z = zipfile.ZipFile(io.BytesIO(raw))
        bad = z.testzip()
        if bad is not None:
            raise SystemExit("damaged entry " + bad)
        out = {"zip": [{"name": n, "message": message(z.read(n))} for n in z.namelist()]}
    else:
        if not olefile.isOleFile(io.BytesIO(raw)):
            raise SystemExit("not an OLE compound file")
        out = message(raw)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
