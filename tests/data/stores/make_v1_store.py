"""How tests/data/stores/v1/ was made: run with the code of commit 7361f17 (snapshot format 1,
WAL record version 1) as `python make_v1_store.py DIR`, then copy DIR without its LOCK file.

It holds six concepts and four associations: two (Ada -> Paris, Paris -> France) in the format-1
snapshot, two (Ada -> Lyon, Lyon -> France) only in the WAL after it (the process ends without
the closing snapshot), so opening it reads both old encodings.
"""

import os
import sys

from sutra_stack.storage.engine.store import Engine
from sutra_stack.storage.model import AssociationInput

if __name__ == "__main__":
    eng = Engine.open(sys.argv[1])
    texts = ("Ada lives in Paris.", "Paris", "France", "Ada")
    fact, paris, france, ada = eng.learn_batch([{"content": c} for c in texts])  # type: ignore[misc]
    eng.learn_associations([AssociationInput(ada, paris, "semantic", 0.9, 1.0),
                            AssociationInput(paris, france, "hierarchical", 0.8, 2.0)])
    eng.flush()  # the format-1 snapshot
    moved, lyon = eng.learn_batch([{"content": "Ada moved to Lyon."}, {"content": "Lyon"}])  # type: ignore[list-item]
    eng.learn_associations([AssociationInput(ada, lyon, "semantic", 0.7, 1.0),
                            AssociationInput(lyon, france, "hierarchical", 0.6, 1.0)])
    print(fact, paris, france, ada, moved, lyon)
    os._exit(0)  # no closing snapshot: the last two associations stay in the WAL only
