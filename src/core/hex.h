/* hex.h — the value of one hexadecimal digit, for the readers that meet them: JSON's
 * \uXXXX escapes (ollama_fastline.c) and HTTP chunk sizes (src/http1/chunked.c). Inline
 * because both call it from per-byte loops. */
#ifndef TDM_HEX_H
#define TDM_HEX_H

/* 0..15, or -1 when ch is not a hexadecimal digit. */
static inline int tdm_hex_digit(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

#endif
