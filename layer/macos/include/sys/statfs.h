/* macOS declares statfs(2) and struct statfs in <sys/mount.h>; Linux in <sys/statfs.h>. */
#include <sys/mount.h>
