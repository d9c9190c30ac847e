#include "remote_listing.h"

#include <string.h>
#include <sys/mman.h>

#include "remote_fs.h"

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent64 is dirent on 64-bit Linux");

#define BATCH 512

static void add_entry(const mp_dir_entry *entry, void *ctx) {
  struct remote_listing *listing = ctx;
  if (listing->count == listing->cap) {
    size_t cap = listing->cap ? listing->cap * 2 : 64;
    void *grown = mmap(NULL, cap * sizeof(struct dirent64), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (grown == MAP_FAILED) return;
    if (listing->entries) {
      memcpy(grown, listing->entries, listing->count * sizeof(struct dirent64));
      munmap(listing->entries, listing->cap * sizeof(struct dirent64));
    }
    listing->entries = grown;
    listing->cap = cap;
  }
  struct dirent64 *out = &listing->entries[listing->count++];
  size_t len = entry->name.len < sizeof(out->d_name) - 1 ? entry->name.len : sizeof(out->d_name) - 1;
  out->d_ino = entry->ino;
  out->d_off = entry->offset;
  out->d_reclen = sizeof(*out);
  out->d_type = entry->file_type;
  memcpy(out->d_name, entry->name.ptr, len);
  out->d_name[len] = '\0';
}

int remote_listing_load(struct remote_listing *listing, uint64_t handle) {
  uint64_t dir;
  int rc = remote_opendir(handle, &dir);
  if (rc < 0) return rc;
  listing->count = 0;
  while ((rc = remote_readdir_batch(dir, BATCH, add_entry, listing)) > 0) {
  }
  remote_closedir(dir);
  return rc;
}

void remote_listing_free(struct remote_listing *listing) {
  if (listing->entries) munmap(listing->entries, listing->cap * sizeof(struct dirent64));
  *listing = (struct remote_listing){0};
}
