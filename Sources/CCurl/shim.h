// Non-variadic wrappers around libcurl for Swift.
//
// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic C
// functions, which Swift cannot call. Each wrapper below fixes the type of the
// variadic argument, so Swift sees an ordinary typed function. They are
// `static inline` so this target stays header-only: the module map links the
// system libcurl and nothing else is compiled.
#ifndef INTRO_CCURL_SHIM_H
#define INTRO_CCURL_SHIM_H

#include <curl/curl.h>

#pragma clang assume_nonnull begin

/// Callback libcurl calls to read the body it uploads (CURLOPT_READFUNCTION).
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *_Nullable userdata);

/// Callback libcurl calls with bytes received outside the dialogue (CURLOPT_WRITEFUNCTION).
typedef size_t (*ccurl_write_callback)(char *data, size_t size, size_t count, void *_Nullable userdata);

/// Callback libcurl calls with every line of the protocol dialogue (CURLOPT_DEBUGFUNCTION).
typedef int (*ccurl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size,
                                    void *_Nullable userdata);

/// curl_easy_setopt for options that take a long (flags, timeouts, enums).
static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for options that take a C string; libcurl copies it.
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option,
                                                const char *_Nullable value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for options that take an opaque pointer (callback user data).
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option,
                                                 void *_Nullable value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for options that take a string list (CURLOPT_MAIL_RCPT).
/// libcurl does not copy the list: it must outlive the transfer.
static inline CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option,
                                               struct curl_slist *_Nullable value) {
  return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for options that take a curl_off_t (CURLOPT_INFILESIZE_LARGE).
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_READFUNCTION with its function type spelled out.
static inline CURLcode ccurl_easy_setopt_read_callback(CURL *handle,
                                                       ccurl_read_callback _Nullable callback) {
  return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

/// CURLOPT_WRITEFUNCTION with its function type spelled out.
static inline CURLcode ccurl_easy_setopt_write_callback(CURL *handle,
                                                        ccurl_write_callback _Nullable callback) {
  return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/// CURLOPT_DEBUGFUNCTION with its function type spelled out.
static inline CURLcode ccurl_easy_setopt_debug_callback(CURL *handle,
                                                        ccurl_debug_callback _Nullable callback) {
  return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}

/// curl_easy_getinfo for CURLINFO_LONG values (response code, OS errno).
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
  return curl_easy_getinfo(handle, info, value);
}

/// curl_easy_getinfo for CURLINFO_STRING values; the string belongs to the handle.
static inline CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info,
                                                 const char *_Nullable *_Nonnull value) {
  return curl_easy_getinfo(handle, info, (char **)value);
}

/// curl_easy_getinfo for CURLINFO_OFF_T values (byte counts).
static inline CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
  return curl_easy_getinfo(handle, info, value);
}

/// curl_multi_setopt for options that take a long (CURLMOPT_MAX_TOTAL_CONNECTIONS).
static inline CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
  return curl_multi_setopt(multi, option, value);
}

/// curl_multi_setopt for options that take an opaque pointer.
static inline CURLMcode ccurl_multi_setopt_pointer(CURLM *multi, CURLMoption option,
                                                   void *_Nullable value) {
  return curl_multi_setopt(multi, option, value);
}

/// The CURLcode carried by a finished transfer's CURLMsg (a union Swift cannot read).
static inline CURLcode ccurl_multi_message_result(const CURLMsg *message) {
  return message->data.result;
}

#pragma clang assume_nonnull end

#endif
