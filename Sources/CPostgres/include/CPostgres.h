// libpq for Swift, loaded when a command first connects to a PostgreSQL store.
//
// The system libpq (Debian libpq5, built against by libpq-dev) is opened with
// dlopen, not linked, for the same reason as libcurl: it needs 24 libraries
// (TLS, Kerberos, LDAP, ...) whose loading would slow every command, and a rep
// on a SQLite store never connects. libpq's ABI (libpq.so.5) is stable since
// PostgreSQL 8.0; the few types and values used here are declared as
// libpq-fe.h declares them, so building needs no PostgreSQL headers.
// Every function below requires a successful cpq_load() first.
#ifndef INTRO_CPOSTGRES_H
#define INTRO_CPOSTGRES_H

#include <stddef.h>

#pragma clang assume_nonnull begin

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef unsigned int Oid;

/// ConnStatusType: only the two final states are used.
enum { CPQ_CONNECTION_OK = 0, CPQ_CONNECTION_BAD = 1 };
/// ExecStatusType.
enum {
  CPQ_EMPTY_QUERY = 0,
  CPQ_COMMAND_OK = 1,
  CPQ_TUPLES_OK = 2,
  CPQ_COPY_OUT = 3,
  CPQ_COPY_IN = 4,
  CPQ_BAD_RESPONSE = 5,
  CPQ_NONFATAL_ERROR = 6,
  CPQ_FATAL_ERROR = 7
};
/// PGTransactionStatusType.
enum { CPQ_TRANS_IDLE = 0, CPQ_TRANS_ACTIVE = 1, CPQ_TRANS_INTRANS = 2, CPQ_TRANS_INERROR = 3, CPQ_TRANS_UNKNOWN = 4 };
/// Error fields (postgres_ext.h).
enum { CPQ_DIAG_SQLSTATE = 'C', CPQ_DIAG_MESSAGE_PRIMARY = 'M', CPQ_DIAG_MESSAGE_DETAIL = 'D', CPQ_DIAG_MESSAGE_HINT = 'H' };

/// Opens libpq once per process (thread-safe). NULL when ready, else why it could not be loaded.
const char *_Nullable cpq_load(void);

/// PQconnectdbParams with a connection URI or key=value string, and a
/// password when the caller has one (from a password command): libpq reads
/// $PGPASSWORD, ~/.pgpass and the other PG* variables itself otherwise.
PGconn *_Nullable cpq_connectdb(const char *conninfo, const char *_Nullable password);
int cpq_status(const PGconn *conn);
const char *cpq_error_message(const PGconn *conn);
void cpq_finish(PGconn *conn);
int cpq_transaction_status(const PGconn *conn);
int cpq_server_version(const PGconn *conn);
int cpq_ssl_in_use(PGconn *conn);
/// PQsslAttribute: "protocol", "cipher", ...; NULL when not on TLS.
const char *_Nullable cpq_ssl_attribute(PGconn *conn, const char *name);
/// PQparameterStatus: "server_version", "TimeZone", ...
const char *_Nullable cpq_parameter_status(const PGconn *conn, const char *name);
/// The connection's socket, -1 when closed.
int cpq_socket(const PGconn *conn);
/// Connection parameters as libpq resolved them ("host", "port", "dbname", "user", "sslmode").
const char *_Nullable cpq_host(const PGconn *conn);
const char *_Nullable cpq_port(const PGconn *conn);
const char *_Nullable cpq_db(const PGconn *conn);
const char *_Nullable cpq_user(const PGconn *conn);
/// Whether the server asked for a password and one was supplied.
int cpq_connection_used_password(const PGconn *conn);
/// Silences NOTICE messages, which libpq would otherwise print on stderr.
void cpq_quiet_notices(PGconn *conn);

/// PQexecParams with every parameter and result in text format, except
/// parameters whose `binary` flag is set (sent as bytes: BYTEA).
PGresult *_Nullable cpq_exec_params(PGconn *conn, const char *command, int count,
                                    const char *_Nullable const *_Nullable values, const int *_Nullable lengths,
                                    const int *_Nullable binary);
/// PQexec: several statements with no parameters (a migration script).
PGresult *_Nullable cpq_exec(PGconn *conn, const char *command);
/// PQprepare and PQexecPrepared, text format, parameter types inferred.
PGresult *_Nullable cpq_prepare(PGconn *conn, const char *name, const char *command, int count);
PGresult *_Nullable cpq_exec_prepared(PGconn *conn, const char *name, int count,
                                      const char *_Nullable const *_Nullable values, const int *_Nullable lengths,
                                      const int *_Nullable binary);
int cpq_result_status(const PGresult *result);
const char *_Nullable cpq_result_error_field(const PGresult *result, int field);
const char *cpq_result_error_message(const PGresult *result);
int cpq_ntuples(const PGresult *result);
int cpq_nfields(const PGresult *result);
const char *_Nullable cpq_fname(const PGresult *result, int column);
Oid cpq_ftype(const PGresult *result, int column);
const char *cpq_getvalue(const PGresult *result, int row, int column);
int cpq_getlength(const PGresult *result, int row, int column);
int cpq_getisnull(const PGresult *result, int row, int column);
/// The row count of an INSERT, UPDATE or DELETE ("" for others).
const char *cpq_cmd_tuples(PGresult *result);
void cpq_clear(PGresult *result);
/// PQunescapeBytea for a BYTEA value in hex text format; free with cpq_freemem.
unsigned char *_Nullable cpq_unescape_bytea(const unsigned char *text, size_t *length);
void cpq_freemem(void *memory);
int cpq_lib_version(void);

#pragma clang assume_nonnull end

#endif
