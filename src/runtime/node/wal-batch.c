/*
 * A SQLite VFS that writes a transaction's WAL frames in one system call instead of two per page.
 *
 * SQLite appends each page of a commit to the WAL with two pwrite calls (the 24-byte frame header, then
 * the page). A commit of 17 payments is ~42 pages, so ~84 system calls; on these paravirtualised
 * machines a system call costs more than copying the page (120 4 KB writes: 209 µs; the same bytes in one
 * write: 28 µs). This VFS wraps the default one and, for WAL files only, gathers consecutive writes in
 * memory and passes them on as soon as the commit frame is complete, before SQLite publishes the commit
 * in the wal-index; so what was acknowledged has reached the operating system exactly as without it, and
 * a kill -9 or a crash loses nothing more. It also passes them on before anything else touches the file
 * (a read, a sync, a truncation, its size, a file control, closing it), when a write is not contiguous,
 * and when 1 MiB is gathered. A failed write is reported to the write that completed the commit frame,
 * and SQLite rolls the transaction back, as it does when a frame's own write fails.
 *
 * Loaded into better-sqlite3 as an extension (src/runtime/node/wal-batch.ts); it registers itself as
 * the default VFS, so every connection opened afterwards in the process uses it.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include <string.h>

#define WAL_HEADER 32
#define FRAME_HEADER 24
#define GATHER_LIMIT (1 << 20)
/* the unix VFS writes at most 128 KiB - 1 bytes a call (seekAndWrite masks the count) */
#define WRITE_CHUNK 0x1f000

typedef struct BatchFile {
  sqlite3_file base;
  sqlite3_file *real;
  int isWal;
  /* the WAL's page size, from its header; 0 until known */
  int pageSize;
  /* where the commit frame being gathered ends, or -1 */
  sqlite3_int64 commitEnd;
  unsigned char *gathered;
  sqlite3_int64 gatheredAt;
  int gatheredLen, gatheredCap;
} BatchFile;

static sqlite3_vfs batchVfs;
static sqlite3_vfs *realVfs;
static sqlite3_io_methods batchMethods;

static int passOn(BatchFile *p) {
  int rc = SQLITE_OK;
  for (int at = 0; at < p->gatheredLen && rc == SQLITE_OK; at += WRITE_CHUNK) {
    int n = p->gatheredLen - at < WRITE_CHUNK ? p->gatheredLen - at : WRITE_CHUNK;
    rc = p->real->pMethods->xWrite(p->real, p->gathered + at, n, p->gatheredAt + at);
  }
  /* a commit frame cut by SQLite's sync point (synchronous=FULL, padded to a sector) ends after the sync */
  if (p->commitEnd >= 0 && p->gatheredAt + p->gatheredLen >= p->commitEnd) p->commitEnd = -1;
  p->gatheredLen = 0;
  return rc;
}

static int readBigEndian32(const unsigned char *b) {
  return (int)(((unsigned)b[0] << 24) | ((unsigned)b[1] << 16) | ((unsigned)b[2] << 8) | (unsigned)b[3]);
}

static int pageSizeOf(int stored) {
  return stored == 1 ? 65536 : stored;
}

static int batchWrite(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
  BatchFile *p = (BatchFile *)f;
  if (!p->isWal) return p->real->pMethods->xWrite(p->real, data, amount, offset);
  int rc;
  if (p->gatheredLen > 0 && (offset != p->gatheredAt + p->gatheredLen || p->gatheredLen + amount > GATHER_LIMIT)) {
    if ((rc = passOn(p)) != SQLITE_OK) return rc;
  }
  if (amount > GATHER_LIMIT) return p->real->pMethods->xWrite(p->real, data, amount, offset);
  if (p->gatheredLen + amount > p->gatheredCap) {
    int capacity = p->gatheredCap > 0 ? p->gatheredCap : 65536;
    while (capacity < p->gatheredLen + amount) capacity *= 2;
    unsigned char *grown = sqlite3_realloc(p->gathered, capacity);
    if (!grown) {
      if ((rc = passOn(p)) != SQLITE_OK) return rc;
      return p->real->pMethods->xWrite(p->real, data, amount, offset);
    }
    p->gathered = grown;
    p->gatheredCap = capacity;
  }
  if (p->gatheredLen == 0) p->gatheredAt = offset;
  memcpy(p->gathered + p->gatheredLen, data, amount);
  p->gatheredLen += amount;
  const unsigned char *bytes = data;
  if (offset == 0 && amount >= WAL_HEADER) {
    p->pageSize = pageSizeOf(readBigEndian32(bytes + 8));
  } else if (amount == FRAME_HEADER && offset >= WAL_HEADER && readBigEndian32(bytes + 4) != 0) {
    if (p->pageSize == 0) {
      unsigned char header[WAL_HEADER];
      if ((rc = p->real->pMethods->xRead(p->real, header, WAL_HEADER, 0)) != SQLITE_OK) return rc;
      p->pageSize = pageSizeOf(readBigEndian32(header + 8));
    }
    /* a frame header (where frames start, not 24 bytes of a page cut at a sync point) whose "database
       size after commit" is set: the commit frame */
    if (p->pageSize > 0 && (offset - WAL_HEADER) % (p->pageSize + FRAME_HEADER) == 0) p->commitEnd = offset + FRAME_HEADER + p->pageSize;
  }
  if (p->commitEnd >= 0 && p->gatheredAt + p->gatheredLen >= p->commitEnd) return passOn(p);
  return SQLITE_OK;
}

static int batchClose(sqlite3_file *f) {
  BatchFile *p = (BatchFile *)f;
  int rc = passOn(p);
  int closed = p->real->pMethods->xClose(p->real);
  sqlite3_free(p->gathered);
  p->gathered = 0;
  return rc != SQLITE_OK ? rc : closed;
}

/* Everything that looks at or changes the file sees the gathered writes first. */
#define PASS_ON_FIRST(p) \
  do { \
    int passed = passOn(p); \
    if (passed != SQLITE_OK) return passed; \
  } while (0)

static int batchRead(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xRead(p->real, data, amount, offset);
}
static int batchTruncate(sqlite3_file *f, sqlite3_int64 size) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xTruncate(p->real, size);
}
static int batchSync(sqlite3_file *f, int flags) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xSync(p->real, flags);
}
static int batchFileSize(sqlite3_file *f, sqlite3_int64 *size) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xFileSize(p->real, size);
}
static int batchFileControl(sqlite3_file *f, int op, void *arg) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xFileControl(p->real, op, arg);
}
static int batchFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **pages) {
  BatchFile *p = (BatchFile *)f;
  PASS_ON_FIRST(p);
  return p->real->pMethods->xFetch(p->real, offset, amount, pages);
}

/* The rest goes straight to the wrapped file. */
#define REAL(f) (((BatchFile *)(f))->real)
static int batchLock(sqlite3_file *f, int level) { return REAL(f)->pMethods->xLock(REAL(f), level); }
static int batchUnlock(sqlite3_file *f, int level) { return REAL(f)->pMethods->xUnlock(REAL(f), level); }
static int batchCheckReservedLock(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int batchSectorSize(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int batchDeviceCharacteristics(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int batchShmMap(sqlite3_file *f, int region, int size, int extend, void volatile **out) {
  return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}
static int batchShmLock(sqlite3_file *f, int offset, int n, int flags) { return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags); }
static void batchShmBarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int batchShmUnmap(sqlite3_file *f, int deleteFlag) { return REAL(f)->pMethods->xShmUnmap(REAL(f), deleteFlag); }
static int batchUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *pages) { return REAL(f)->pMethods->xUnfetch(REAL(f), offset, pages); }

static int batchOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags) {
  BatchFile *p = (BatchFile *)f;
  memset(p, 0, sizeof(BatchFile));
  p->real = (sqlite3_file *)&p[1];
  p->commitEnd = -1;
  int rc = realVfs->xOpen(realVfs, name, p->real, flags, outFlags);
  /* the wrapped file is closed through these methods only if it opened */
  if (p->real->pMethods == 0) return rc;
  p->isWal = (flags & SQLITE_OPEN_WAL) != 0;
  p->base.pMethods = &batchMethods;
  return rc;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_walbatch_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
  (void)db;
  (void)error;
  SQLITE_EXTENSION_INIT2(api);
  if (sqlite3_vfs_find("walbatch")) return SQLITE_OK_LOAD_PERMANENTLY;
  realVfs = sqlite3_vfs_find(0);
  if (!realVfs || realVfs->iVersion < 2) return SQLITE_ERROR;
  batchMethods = (sqlite3_io_methods){
    3, batchClose, batchRead, batchWrite, batchTruncate, batchSync, batchFileSize, batchLock, batchUnlock, batchCheckReservedLock,
    batchFileControl, batchSectorSize, batchDeviceCharacteristics, batchShmMap, batchShmLock, batchShmBarrier, batchShmUnmap,
    batchFetch, batchUnfetch,
  };
  /* everything but opening files is the wrapped VFS's own: it reads only its own fields of the struct */
  batchVfs = *realVfs;
  batchVfs.zName = "walbatch";
  batchVfs.szOsFile = (int)sizeof(BatchFile) + realVfs->szOsFile;
  batchVfs.pNext = 0;
  batchVfs.xOpen = batchOpen;
  int rc = sqlite3_vfs_register(&batchVfs, 1);
  return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
