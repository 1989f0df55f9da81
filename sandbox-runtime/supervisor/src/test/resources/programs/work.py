# An ordinary Python program for SideBySideWithGvisorIT: threads, hashing, JSON, a child process, SQLite.
import hashlib
import json
import sqlite3
import subprocess
import threading

sums = [0] * 4


def work(n):
    sums[n] = sum(hashlib.sha256(str(i).encode()).digest()[0] for i in range(20000 * (n + 1)))


threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
child = subprocess.run(["sh", "-c", "echo from a child"], capture_output=True, text=True, check=True).stdout.strip()
database = sqlite3.connect("/tmp/work.db")
database.execute("create table t (n integer)")
database.executemany("insert into t values (?)", [(n,) for n in range(100)])
database.commit()
rows = database.execute("select count(*), sum(n) from t").fetchone()
print(json.dumps({"sums": sums, "child": child, "sqlite": list(rows)}, sort_keys=True))
