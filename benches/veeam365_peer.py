"""The peer of `vex items --all --jsonl` in benches/run: the PyPI `veeam-365` client (0.4.1) listing the
same items of the same folder, page after page, and writing each item as a JSON line (what vex does).

    python3 benches/veeam365_peer.py URL USER SESSION MAILBOX FOLDER OFFSET COUNT LIMIT > /dev/null

The password comes from VEX_PASSWORD. Prints "items=N" on stderr when done.
"""

import asyncio
import json
import os
import sys
from uuid import UUID

from veeam_365.client import VeeamClient


async def main() -> None:
    url, user, session, mailbox, folder = sys.argv[1:6]
    offset, count, limit = (int(x) for x in sys.argv[6:9])
    vc = VeeamClient(host=url, username=user, password=os.environ["VEX_PASSWORD"], api_version="v8", verify_ssl=False)
    await vc.connect()
    get = vc.api("exchange_item.exchange_item_get")
    out = sys.stdout
    got = 0
    try:
        while got < count:
            page = await vc.call(
                get,
                restore_session_id=UUID(session),
                mailbox_id=UUID(mailbox),
                offset=offset + got,
                limit=limit,
                parent_id=folder,
            )
            rows = page.results or []
            for item in rows:
                out.write(json.dumps(item.to_dict(), separators=(",", ":")))
                out.write("\n")
            got += len(rows)
            if len(rows) < limit:
                break
    finally:
        await vc.close()
    out.flush()
    print(f"items={got}", file=sys.stderr)


asyncio.run(main())
