# moto_server's own app behind a lock: one request at a time (test/support/moto.ts starts it for
# `startMoto({ serialized: true })`). Arguments: host, port.
#
# moto is not safe under concurrent requests to DynamoDB (a cancelled TransactWriteItems restores a
# snapshot of the whole table, undoing writes made meanwhile); DynamoDB applies each request
# atomically. With the lock, moto's answers are those of DynamoDB for concurrent writers.
#
# Three of moto's costs grow with the data and would make a load test measure moto, so they are
# replaced by equivalents that give the same answers:
# - TransactWriteItems deep-copies every table it touches to roll back a cancelled transaction,
#   O(table) per transaction (0.1 s at a thousand items); a transaction changes only the items it
#   names, so snapshots of those items roll it back the same, one request at a time.
# - EventBridge builds a JSONPath parser (its parse tables) for each input path of each target of
#   each event (about 80 ms each); parsing is pure, so the parse of each path is kept.
# - SQS reads the clock through datetime several times per queued message on every send and
#   receive (its queue attributes count the messages); time.time() is the same clock.

import copy
import functools
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def speed_up_dynamodb_transactions():
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    class KeepTables:
        """copy.deepcopy for moto's transaction, leaving tables as they are (snapshotted by item)."""

        @staticmethod
        def deepcopy(value, *args):
            return value if isinstance(value, Table) else copy.deepcopy(value, *args)

    transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items

    def named_items(backend, transact_items):
        """(table, hash key, range key, copy of the item or None) for each item the transaction names."""
        named = []
        for entry in transact_items:
            for op_type, op in entry.items():
                table = backend.get_table(op["TableName"])
                attributes = op["Item"] if op_type == "Put" else op["Key"]
                names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
                key = {name: attributes[name] for name in names}
                hash_key, range_key = backend.get_keys_value(table, key)
                item = table.get_item(hash_key, range_key)
                named.append((table, hash_key, range_key, copy.deepcopy(item)))
        return named

    def put_back(table, hash_key, range_key, item):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item

    def transact_named_items(self, transact_items):
        try:
            named = named_items(self, transact_items)
        except Exception:
            # A malformed transaction: moto's own answer (it changes nothing).
            return transact_write_items(self, transact_items)
        dynamodb_models.copy = KeepTables
        try:
            return transact_write_items(self, transact_items)
        except BaseException:
            for snapshot in reversed(named):
                put_back(*snapshot)
            raise
        finally:
            dynamodb_models.copy = copy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_named_items


def cache_jsonpath_parses():
    import jsonpath_ng.ext

    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)


def read_the_clock_directly():
    import moto.sqs.models as sqs_models

    unix_time = sqs_models.unix_time
    unix_time_millis = sqs_models.unix_time_millis
    sqs_models.unix_time = lambda dt=None: time.time() if dt is None else unix_time(dt)
    sqs_models.unix_time_millis = lambda dt=None: (
        time.time() * 1000.0 if dt is None else unix_time_millis(dt)
    )


# Each is an equivalent of moto's own code for the version this machine class has (5.2); should a
# different moto lack what one replaces, it runs unchanged (correct, only slower) and says so.
for patch in (speed_up_dynamodb_transactions, cache_jsonpath_parses, read_the_clock_directly):
    try:
        patch()
    except (ImportError, AttributeError) as error:
        print(f"serialized-moto: {patch.__name__} not applied ({error!r})", file=sys.stderr)


app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))


run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True)
