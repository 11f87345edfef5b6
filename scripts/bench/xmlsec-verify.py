#!/usr/bin/env python3
"""libxmlsec1 (the C reference) verifying the benchmark corpus inside one process, one core:
lxml parse + find Signature + verify with a keys manager that trusts the test root and knows the
issuing CAs (so each document's certificate chain is checked), as edoc-bus does per document.

usage: xmlsec-verify.py CORPUS_DIR SECONDS   -> prints one JSON line {"rate": docs_per_second}
"""
import glob
import json
import os
import sys
import time

import lxml.etree as ET
import xmlsec


def main():
    corpus, seconds = sys.argv[1], float(sys.argv[2])
    mgr = xmlsec.KeysManager()
    mgr.load_cert(os.path.join(corpus, 'root.pem'), xmlsec.constants.KeyDataFormatCertPem, xmlsec.constants.KeyDataTypeTrusted)
    for inter in sorted(glob.glob(os.path.join(corpus, 'inter-*.pem'))):
        mgr.load_cert(inter, xmlsec.constants.KeyDataFormatCertPem, xmlsec.constants.KeyDataTypeNone)
    docs = [open(f, 'rb').read() for f in sorted(glob.glob(os.path.join(corpus, 'doc-*.xml')))]
    n = 0
    start = time.perf_counter()
    end = start + seconds
    now = start
    while now < end:
        for _ in range(10):
            root = ET.fromstring(docs[n % len(docs)])
            node = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
            ctx = xmlsec.SignatureContext(mgr)
            ctx.verify(node)
            n += 1
        now = time.perf_counter()
    print(json.dumps({'rate': n / (now - start), 'libxml2': '.'.join(map(str, ET.LIBXML_VERSION))}))


main()
