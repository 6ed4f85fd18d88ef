// libpq opened on first use; see include/CPostgres.h.
#include "CPostgres.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#if defined(__APPLE__)
#define CPQ_LIBRARY "libpq.5.dylib"
#else
#define CPQ_LIBRARY "libpq.so.5"
#endif

typedef void (*notice_processor)(void *arg, const char *message);

static struct {
  PGconn *(*connectdb)(const char *const *keywords, const char *const *values, int expand_dbname);
  int (*status)(const PGconn *conn);
  char *(*error_message)(const PGconn *conn);
  void (*finish)(PGconn *conn);
  int (*transaction_status)(const PGconn *conn);
  int (*server_version)(const PGconn *conn);
  int (*ssl_in_use)(PGconn *conn);
  const char *(*ssl_attribute)(PGconn *conn, const char *name);
  const char *(*parameter_status)(const PGconn *conn, const char *name);
  int (*socket)(const PGconn *conn);
  char *(*host)(const PGconn *conn);
  char *(*port)(const PGconn *conn);
  char *(*db)(const PGconn *conn);
  char *(*user)(const PGconn *conn);
  int (*used_password)(const PGconn *conn);
  notice_processor (*set_notice_processor)(PGconn *conn, notice_processor processor, void *arg);
  PGresult *(*exec_params)(PGconn *conn, const char *command, int count, const Oid *types,
                           const char *const *values, const int *lengths, const int *formats, int result_format);
  PGresult *(*exec)(PGconn *conn, const char *command);
  PGresult *(*prepare)(PGconn *conn, const char *name, const char *command, int count, const Oid *types);
  PGresult *(*exec_prepared)(PGconn *conn, const char *name, int count, const char *const *values,
                             const int *lengths, const int *formats, int result_format);
  int (*result_status)(const PGresult *result);
  char *(*result_error_field)(const PGresult *result, int field);
  char *(*result_error_message)(const PGresult *result);
  int (*ntuples)(const PGresult *result);
  int (*nfields)(const PGresult *result);
  char *(*fname)(const PGresult *result, int column);
  Oid (*ftype)(const PGresult *result, int column);
  char *(*getvalue)(const PGresult *result, int row, int column);
  int (*getlength)(const PGresult *result, int row, int column);
  int (*getisnull)(const PGresult *result, int row, int column);
  char *(*cmd_tuples)(PGresult *result);
  void (*clear)(PGresult *result);
  unsigned char *(*unescape_bytea)(const unsigned char *text, size_t *length);
  void (*freemem)(void *memory);
  int (*lib_version)(void);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static char failure[512];

static int resolve(void *library, void **slot, const char *name) {
  *slot = dlsym(library, name);
  if (*slot == NULL) {
    snprintf(failure, sizeof failure, "%s has no %s (libpq 10 or later is needed)", CPQ_LIBRARY, name);
    return 0;
  }
  return 1;
}

#define RESOLVE(slot, name) resolve(library, (void **)&api.slot, name)

static void load(void) {
  void *library = dlopen(CPQ_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *reason = dlerror();
    snprintf(failure, sizeof failure, "cannot load %s: %s", CPQ_LIBRARY, reason ? reason : "unknown error");
    return;
  }
  if (!RESOLVE(connectdb, "PQconnectdbParams") || !RESOLVE(status, "PQstatus") ||
      !RESOLVE(error_message, "PQerrorMessage") || !RESOLVE(finish, "PQfinish") ||
      !RESOLVE(transaction_status, "PQtransactionStatus") || !RESOLVE(server_version, "PQserverVersion") ||
      !RESOLVE(ssl_in_use, "PQsslInUse") || !RESOLVE(ssl_attribute, "PQsslAttribute") ||
      !RESOLVE(parameter_status, "PQparameterStatus") || !RESOLVE(socket, "PQsocket") ||
      !RESOLVE(host, "PQhost") || !RESOLVE(port, "PQport") || !RESOLVE(db, "PQdb") || !RESOLVE(user, "PQuser") ||
      !RESOLVE(used_password, "PQconnectionUsedPassword") ||
      !RESOLVE(set_notice_processor, "PQsetNoticeProcessor") || !RESOLVE(exec_params, "PQexecParams") ||
      !RESOLVE(exec, "PQexec") || !RESOLVE(prepare, "PQprepare") || !RESOLVE(exec_prepared, "PQexecPrepared") ||
      !RESOLVE(result_status, "PQresultStatus") || !RESOLVE(result_error_field, "PQresultErrorField") ||
      !RESOLVE(result_error_message, "PQresultErrorMessage") || !RESOLVE(ntuples, "PQntuples") ||
      !RESOLVE(nfields, "PQnfields") || !RESOLVE(fname, "PQfname") || !RESOLVE(ftype, "PQftype") ||
      !RESOLVE(getvalue, "PQgetvalue") || !RESOLVE(getlength, "PQgetlength") ||
      !RESOLVE(getisnull, "PQgetisnull") || !RESOLVE(cmd_tuples, "PQcmdTuples") || !RESOLVE(clear, "PQclear") ||
      !RESOLVE(unescape_bytea, "PQunescapeBytea") || !RESOLVE(freemem, "PQfreemem") ||
      !RESOLVE(lib_version, "PQlibVersion")) {
    return;
  }
  ready = 1;
}

const char *cpq_load(void) {
  pthread_once(&once, load);
  return ready ? NULL : failure;
}

PGconn *cpq_connectdb(const char *conninfo, const char *password) {
  const char *keywords[] = {"dbname", "password", NULL};
  const char *values[] = {conninfo, password, NULL};
  if (password == NULL) keywords[1] = NULL;
  return api.connectdb(keywords, values, 1);
}
int cpq_status(const PGconn *conn) { return api.status(conn); }
const char *cpq_error_message(const PGconn *conn) { return api.error_message(conn); }
void cpq_finish(PGconn *conn) { api.finish(conn); }
int cpq_transaction_status(const PGconn *conn) { return api.transaction_status(conn); }
int cpq_server_version(const PGconn *conn) { return api.server_version(conn); }
int cpq_ssl_in_use(PGconn *conn) { return api.ssl_in_use(conn); }
const char *cpq_ssl_attribute(PGconn *conn, const char *name) { return api.ssl_attribute(conn, name); }
const char *cpq_parameter_status(const PGconn *conn, const char *name) { return api.parameter_status(conn, name); }
int cpq_socket(const PGconn *conn) { return api.socket(conn); }
const char *cpq_host(const PGconn *conn) { return api.host(conn); }
const char *cpq_port(const PGconn *conn) { return api.port(conn); }
const char *cpq_db(const PGconn *conn) { return api.db(conn); }
const char *cpq_user(const PGconn *conn) { return api.user(conn); }
int cpq_connection_used_password(const PGconn *conn) { return api.used_password(conn); }

static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}
void cpq_quiet_notices(PGconn *conn) { api.set_notice_processor(conn, ignore_notice, NULL); }

PGresult *cpq_exec_params(PGconn *conn, const char *command, int count, const char *const *values,
                          const int *lengths, const int *binary) {
  return api.exec_params(conn, command, count, NULL, values, lengths, binary, 0);
}
PGresult *cpq_exec(PGconn *conn, const char *command) { return api.exec(conn, command); }
PGresult *cpq_prepare(PGconn *conn, const char *name, const char *command, int count) {
  return api.prepare(conn, name, command, count, NULL);
}
PGresult *cpq_exec_prepared(PGconn *conn, const char *name, int count, const char *const *values,
                            const int *lengths, const int *binary) {
  return api.exec_prepared(conn, name, count, values, lengths, binary, 0);
}
int cpq_result_status(const PGresult *result) { return api.result_status(result); }
const char *cpq_result_error_field(const PGresult *result, int field) {
  return api.result_error_field(result, field);
}
const char *cpq_result_error_message(const PGresult *result) { return api.result_error_message(result); }
int cpq_ntuples(const PGresult *result) { return api.ntuples(result); }
int cpq_nfields(const PGresult *result) { return api.nfields(result); }
const char *cpq_fname(const PGresult *result, int column) { return api.fname(result, column); }
Oid cpq_ftype(const PGresult *result, int column) { return api.ftype(result, column); }
const char *cpq_getvalue(const PGresult *result, int row, int column) { return api.getvalue(result, row, column); }
int cpq_getlength(const PGresult *result, int row, int column) { return api.getlength(result, row, column); }
int cpq_getisnull(const PGresult *result, int row, int column) { return api.getisnull(result, row, column); }
const char *cpq_cmd_tuples(PGresult *result) { return api.cmd_tuples(result); }
void cpq_clear(PGresult *result) { api.clear(result); }
unsigned char *cpq_unescape_bytea(const unsigned char *text, size_t *length) {
  return api.unescape_bytea(text, length);
}
void cpq_freemem(void *memory) { api.freemem(memory); }
int cpq_lib_version(void) { return api.lib_version(); }
