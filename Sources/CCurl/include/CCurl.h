// libcurl for Swift, loaded when the first message is sent.
//
// The system libcurl (Debian libcurl4) is opened with dlopen the first time
// ccurl_load() is called, not linked: libcurl and the 28 libraries it needs
// (TLS, HTTP/2, Kerberos, LDAP, ...) cost 5 ms at the start of every command,
// and most commands (render, blurb, log, report) never send. Only libcurl's
// types and constants come from its header.
//
// curl_easy_setopt and curl_easy_getinfo are variadic C functions, which Swift
// cannot call; each wrapper below fixes the type of the variadic argument.
// Every wrapper requires a successful ccurl_load() first.
#ifndef INTRO_CCURL_H
#define INTRO_CCURL_H

#include <curl/curl.h>

#pragma clang assume_nonnull begin

/// Opens libcurl and runs curl_global_init, once per process (thread-safe).
/// Returns NULL when libcurl is ready, or why it could not be loaded.
const char *_Nullable ccurl_load(void);

/// Callback libcurl calls to read the body it uploads (CURLOPT_READFUNCTION).
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *_Nullable userdata);

/// Callback libcurl calls with bytes received outside the dialogue (CURLOPT_WRITEFUNCTION).
typedef size_t (*ccurl_write_callback)(char *data, size_t size, size_t count, void *_Nullable userdata);

/// Callback libcurl calls with every line of the protocol dialogue (CURLOPT_DEBUGFUNCTION).
typedef int (*ccurl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size,
                                    void *_Nullable userdata);

CURL *_Nullable ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
CURLcode ccurl_easy_perform(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);
const char *ccurl_version(void);
struct curl_slist *_Nullable ccurl_slist_append(struct curl_slist *_Nullable list, const char *string);
void ccurl_slist_free_all(struct curl_slist *_Nullable list);

/// curl_easy_setopt for options that take a long (flags, timeouts, enums).
CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
/// curl_easy_setopt for options that take a C string; libcurl copies it.
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *_Nullable value);
/// curl_easy_setopt for options that take an opaque pointer (callback user data).
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *_Nullable value);
/// curl_easy_setopt for options that take a string list (CURLOPT_MAIL_RCPT).
/// libcurl does not copy the list: it must outlive the transfer.
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *_Nullable value);
/// curl_easy_setopt for options that take a curl_off_t (CURLOPT_INFILESIZE_LARGE).
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/// CURLOPT_READFUNCTION with its function type spelled out.
CURLcode ccurl_easy_setopt_read_callback(CURL *handle, ccurl_read_callback _Nullable callback);
/// CURLOPT_WRITEFUNCTION with its function type spelled out.
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, ccurl_write_callback _Nullable callback);
/// CURLOPT_DEBUGFUNCTION with its function type spelled out.
CURLcode ccurl_easy_setopt_debug_callback(CURL *handle, ccurl_debug_callback _Nullable callback);
/// curl_easy_getinfo for CURLINFO_LONG values (response code, OS errno).
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);

#pragma clang assume_nonnull end

#endif
