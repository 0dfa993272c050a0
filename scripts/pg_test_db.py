"""Create or drop a throwaway PostgreSQL database for one test run.

Exit 0 on success, 2 when the server cannot be reached (the caller decides to skip or fail).
"""

import sys

import psycopg2
from psycopg2 import sql


def main() -> int:
    action, admin_url, name = sys.argv[1:4]
    try:
        conn = psycopg2.connect(admin_url, connect_timeout=5)
    except psycopg2.OperationalError as e:
        print(f"cannot connect to {admin_url}: {e}".strip(), file=sys.stderr)
        return 2
    conn.autocommit = True
    with conn.cursor() as cur:
        if action == "create":
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
