/* A table jump whose location names no file: reduced by cvise from
 * CPython 3.11's Objects/bytesobject.c (_PyBytes_FormatEx). In promote
 * mode with -fjump-tables, GCC 12 crashed in final printing the asm the
 * plugin puts before the jump (tests/promote/run.sh compiles it). */
typedef int writer_t;
int is_exact(void);
char *format_long(writer_t w, char *res, int v, int base, int alternate);
unsigned short int **__ctype_b_loc(void);
enum { digit_bit = (0 < ((1 << 0) << 8)) };
void format(const char *fmt, char *res, long fmtcnt, writer_t writer) {
  while (--fmtcnt >= 0)
    if (*fmt != '%')
      ;
    else {
      long width = -1;
      int prec = -1;
      int c = '\0';
      if ('\0' >= 0 && ((*__ctype_b_loc())[0] & digit_bit))
        while (--fmtcnt >= 0)
          c = (((*fmt++) & 0xff));
      switch (c)
      case 'i':
      case 'd':
      case 'u':
      case 'o':
      case 'x':
      case 'X':
        if (is_exact() && width == -1 && prec == -1 && !0 && c != 'X') {
          int alternate = 0 & 0;
          int base;
          switch (c) {
          case 'd':
          case 'i':
          case 'u':
            base = 10;
            break;
          case 'o':
            base = 8;
            break;
          case 'x':
          case 'X':
            base = 16;
          }
          res = format_long(writer, res, 0, base, alternate);
        }
    }
}
