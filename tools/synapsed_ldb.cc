// synapsed_ldb: get/put/delete/scan/dump a database, dump its MANIFEST and
// check its consistency. The logic and usage are in tools/ldb/ldb.h.
#include <iostream>

#include "tools/ldb/ldb.h"

int main(int argc, char** argv) { return synapsed::RunLdb(argc, argv, std::cout, std::cerr); }
