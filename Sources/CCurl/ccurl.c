// libcurl opened on first use; see include/CCurl.h.
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#if defined(__APPLE__)
#define CCURL_LIBRARY "libcurl.4.dylib"
#else
#define CCURL_LIBRARY "libcurl.so.4"
#endif

static struct {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *handle);
  CURLcode (*easy_perform)(CURL *handle);
  CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
  CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
  void (*slist_free_all)(struct curl_slist *list);
  char *(*version)(void);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static char failure[512];

static int resolve(void *library, void **slot, const char *name) {
  *slot = dlsym(library, name);
  if (*slot == NULL) {
    snprintf(failure, sizeof failure, "%s has no %s (libcurl 7.85 or later is needed)", CCURL_LIBRARY, name);
    return 0;
  }
  return 1;
}

static void load(void) {
  void *library = dlopen(CCURL_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *reason = dlerror();
    snprintf(failure, sizeof failure, "cannot load %s: %s", CCURL_LIBRARY, reason ? reason : "unknown error");
    return;
  }
  if (!resolve(library, (void **)&api.global_init, "curl_global_init") ||
      !resolve(library, (void **)&api.easy_init, "curl_easy_init") ||
      !resolve(library, (void **)&api.easy_cleanup, "curl_easy_cleanup") ||
      !resolve(library, (void **)&api.easy_perform, "curl_easy_perform") ||
      !resolve(library, (void **)&api.easy_setopt, "curl_easy_setopt") ||
      !resolve(library, (void **)&api.easy_getinfo, "curl_easy_getinfo") ||
      !resolve(library, (void **)&api.easy_strerror, "curl_easy_strerror") ||
      !resolve(library, (void **)&api.slist_append, "curl_slist_append") ||
      !resolve(library, (void **)&api.slist_free_all, "curl_slist_free_all") ||
      !resolve(library, (void **)&api.version, "curl_version")) {
    return;
  }
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(failure, sizeof failure, "curl_global_init failed in %s", CCURL_LIBRARY);
    return;
  }
  ready = 1;
}

const char *ccurl_load(void) {
  pthread_once(&once, load);
  return ready ? NULL : failure;
}

CURL *ccurl_easy_init(void) { return api.easy_init(); }
void ccurl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }
CURLcode ccurl_easy_perform(CURL *handle) { return api.easy_perform(handle); }
const char *ccurl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
const char *ccurl_version(void) { return api.version(); }

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *string) {
  return api.slist_append(list, string);
}

void ccurl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
  return api.easy_setopt(handle, option, value);
}

CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
  return api.easy_setopt(handle, option, value);
}

CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
  return api.easy_setopt(handle, option, value);
}

CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
  return api.easy_setopt(handle, option, value);
}

CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
  return api.easy_setopt(handle, option, value);
}

CURLcode ccurl_easy_setopt_read_callback(CURL *handle, ccurl_read_callback callback) {
  return api.easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

CURLcode ccurl_easy_setopt_write_callback(CURL *handle, ccurl_write_callback callback) {
  return api.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode ccurl_easy_setopt_debug_callback(CURL *handle, ccurl_debug_callback callback) {
  return api.easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}

CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
  return api.easy_getinfo(handle, info, value);
}
