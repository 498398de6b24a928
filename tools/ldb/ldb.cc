#include "tools/ldb/ldb.h"

#include <gflags/gflags.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/db.h"
#include "synapsed/file_system.h"
#include "tools/ldb/inspect.h"

DEFINE_string(db, "", "The database directory.");
DEFINE_bool(hex, false,
            "Print keys and values as 0x-prefixed upper-case hex, and parse key and value "
            "arguments (and --from, --to) as hex, with or without 0x.");
DEFINE_bool(create_if_missing, false,
            "get/put/delete/deleterange/scan/dump: create the database if missing.");
DEFINE_string(from, "", "scan, dump: first key (inclusive); empty: from the first key.");
DEFINE_string(to, "", "scan, dump: end key (exclusive); empty: to the last key.");
DEFINE_int64(max_keys, -1, "scan, dump: print at most this many keys (< 0: all).");

namespace synapsed {
namespace {

constexpr char kUsage[] =
    "usage: synapsed_ldb --db=<dir> [--hex] [--create_if_missing] <command> [args]\n"
    "commands:\n"
    "  get <key>                 print the value (exit 1 if absent)\n"
    "  put <key> <value>         write, synced\n"
    "  delete <key>              delete, synced\n"
    "  deleterange <begin> <end> delete every key in [begin, end), synced\n"
    "  scan [--from=K] [--to=K] [--max_keys=N]\n"
    "                            print 'key ==> value' for keys in [from, to)\n"
    "  dump [scan's flags]       like scan, then a 'Total keys: N' line\n"
    "  manifest_dump             every MANIFEST edit, then the version it yields\n"
    "  checkconsistency          MANIFEST, live tables and their checksums; prints OK\n"
    "manifest_dump and checkconsistency only read files; the others open the database.\n"
    "Arguments after '--' are never flags (for keys that start with '-').\n"
    "Exit status: 0 success, 1 data problem, 2 usage error.\n";

// Only these may be set from the command line (the binary links other gflags).
constexpr std::string_view kFlags[] = {"db", "hex", "create_if_missing", "from", "to", "max_keys"};

bool IsLdbFlag(std::string_view name) {
  for (std::string_view f : kFlags) {
    if (f == name) return true;
  }
  return false;
}

// A failure's message on one line, whatever bytes it quotes (a foreign
// file's contents can hold newlines).
std::string OneLine(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "0x6B31", "6b31" -> "k1". False on odd length or a non-hex digit.
bool FromHex(std::string_view in, std::string* out) {
  if (in.size() >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) in.remove_prefix(2);
  if (in.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 2) {
    const int hi = HexDigit(in[i]), lo = HexDigit(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

std::string Printable(std::string_view s) { return ldb::Printable(s, FLAGS_hex); }

// Sets gflags from argv without ParseCommandLineFlags, which exits the
// process on a bad flag. Returns a usage error, or "" and the positional
// arguments and the names of the flags given.
std::string ParseArgs(int argc, char** argv, std::vector<std::string>* args,
                      std::set<std::string>* given, bool* help) {
  bool flags_done = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (flags_done || a.size() < 2 || a[0] != '-') {
      args->push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    const std::string body = a.substr(a[1] == '-' ? 2 : 1);
    const size_t eq = body.find('=');
    std::string name = body.substr(0, eq);
    if (name == "help" && eq == std::string::npos) {
      *help = true;
      continue;
    }
    gflags::CommandLineFlagInfo info;
    std::string value;
    if (IsLdbFlag(name) && gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      if (eq != std::string::npos) {
        value = body.substr(eq + 1);
      } else if (info.type == "bool") {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return "--" + name + " needs a value";
      }
    } else if (eq == std::string::npos && name.starts_with("no") && IsLdbFlag(name.substr(2)) &&
               gflags::GetCommandLineFlagInfo(name.substr(2).c_str(), &info) &&
               info.type == "bool") {
      name = name.substr(2);  // --nohex
      value = "false";
    } else {
      return "unknown flag '" + a + "' (see --help)";
    }
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      return "bad value '" + value + "' for --" + name;
    }
    given->insert(name);
  }
  return "";
}

// A key or value argument as bytes (--hex: decoded). Usage error or "".
std::string DecodeArg(const std::string& arg, const char* what, std::string* bytes) {
  if (!FLAGS_hex) {
    *bytes = arg;
    return "";
  }
  return FromHex(arg, bytes) ? "" : std::string(what) + " '" + arg + "' is not hex (--hex)";
}

// Opens the database, runs fn, closes it; the first error wins.
Status WithDb(const std::function<Status(DB*)>& fn) {
  Options options;
  options.create_if_missing = FLAGS_create_if_missing;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, FLAGS_db, &db);
  if (!s.ok()) return s;
  s = fn(db.get());
  Status closed = db->Close();
  return s.ok() ? closed : s;
}

Status Scan(DB* db, const std::string& from, const std::string& to, bool count, std::ostream& out) {
  ReadOptions options;
  options.fill_cache = false;  // a one-time pass must not evict the hot set
  if (!to.empty()) options.iterate_upper_bound = to;
  auto it = db->NewIterator(options);
  int64_t n = 0;
  if (from.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(from);
  }
  for (; it->Valid() && (FLAGS_max_keys < 0 || n < FLAGS_max_keys); it->Next(), n++) {
    out << Printable(it->key()) << " ==> " << Printable(it->value()) << "\n";
  }
  Status s = it->status();
  it.reset();  // before the database closes
  if (s.ok() && count) out << "Total keys: " << n << "\n";
  return s;
}

struct Command {
  std::string_view name;
  size_t num_args;
  std::string_view args_usage;
  bool opens_db;
  bool takes_range;  // --from, --to, --max_keys
};

constexpr Command kCommands[] = {
    {"get", 1, "<key>", true, false},
    {"put", 2, "<key> <value>", true, false},
    {"delete", 1, "<key>", true, false},
    {"deleterange", 2, "<begin> <end>", true, false},
    {"scan", 0, "", true, true},
    {"dump", 0, "", true, true},
    {"manifest_dump", 0, "", false, false},
    {"checkconsistency", 0, "", false, false},
};

// Checks the command line against the command. Usage error or "".
std::string CheckUsage(const std::vector<std::string>& args, const std::set<std::string>& given,
                       const Command** command) {
  if (args.empty()) {
    return "no command (get, put, delete, deleterange, scan, dump, manifest_dump, "
           "checkconsistency; see --help)";
  }
  *command = nullptr;
  for (const Command& c : kCommands) {
    if (c.name == args[0]) *command = &c;
  }
  const Command* c = *command;
  if (c == nullptr) return "unknown command '" + args[0] + "' (see --help)";
  if (FLAGS_db.empty()) return "--db is required";
  if (args.size() - 1 != c->num_args) {
    return std::string(c->name) + " takes " +
           (c->num_args == 0 ? std::string("no arguments") : std::string(c->args_usage)) +
           ", got " + std::to_string(args.size() - 1);
  }
  for (const char* f : {"from", "to", "max_keys"}) {
    if (given.count(f) && !c->takes_range) {
      return "--" + std::string(f) + " applies to scan and dump only";
    }
  }
  if (given.count("create_if_missing") && !c->opens_db) {
    return "--create_if_missing: " + std::string(c->name) + " never opens or creates the database";
  }
  return "";
}

// Runs a checked command line. Usage error in *usage, else the Status.
Status RunCommand(const Command& c, const std::vector<std::string>& args, std::ostream& out,
                  std::string* usage) {
  if (c.name == "manifest_dump") {
    return ldb::DumpManifest(FileSystem::Default(), FLAGS_db, FLAGS_hex, out);
  }
  if (c.name == "checkconsistency") {
    return ldb::CheckConsistency(FileSystem::Default(), FLAGS_db, out);
  }
  std::string key, value, from, to;
  const bool range = c.name == "deleterange";
  if (c.num_args >= 1) *usage = DecodeArg(args[1], range ? "begin" : "key", &key);
  if (usage->empty() && c.num_args >= 2) {
    *usage = DecodeArg(args[2], range ? "end" : "value", &value);
  }
  if (usage->empty() && c.takes_range) *usage = DecodeArg(FLAGS_from, "--from", &from);
  if (usage->empty() && c.takes_range) *usage = DecodeArg(FLAGS_to, "--to", &to);
  if (!usage->empty()) return Status::OK();

  WriteOptions synced;
  synced.sync = true;
  return WithDb([&](DB* db) {
    Status s;
    if (c.name == "get") {
      s = db->Get(ReadOptions(), key, &value);
      if (s.IsNotFound()) return Status::NotFound("key '" + Printable(key) + "'");
      if (s.ok()) out << Printable(value) << "\n";
    } else if (c.name == "put" || c.name == "delete") {
      s = c.name == "put" ? db->Put(synced, key, value) : db->Delete(synced, key);
      if (s.ok()) out << "OK\n";
    } else if (range) {
      s = db->DeleteRange(synced, key, value);  // key = begin, value = end
      if (s.ok()) out << "OK\n";
    } else {
      s = Scan(db, from, to, /*count=*/c.name == "dump", out);
    }
    return s;
  });
}

}  // namespace

int RunLdb(int argc, char** argv, std::ostream& out, std::ostream& err) {
  gflags::FlagSaver restore_flags_on_return;
  std::vector<std::string> args;
  std::set<std::string> given;
  bool help = false;
  std::string usage = ParseArgs(argc, argv, &args, &given, &help);
  if (usage.empty() && help) {
    out << kUsage;
    return kLdbExitOk;
  }
  const Command* command = nullptr;
  if (usage.empty()) usage = CheckUsage(args, given, &command);
  Status s;
  if (usage.empty()) s = RunCommand(*command, args, out, &usage);
  out.flush();
  if (!usage.empty()) {
    err << "synapsed_ldb: " << OneLine(usage) << "\n";
    return kLdbExitUsage;
  }
  if (!s.ok()) {
    err << "synapsed_ldb: " << OneLine(s.ToString()) << "\n";
    return kLdbExitDataError;
  }
  return kLdbExitOk;
}

}  // namespace synapsed
