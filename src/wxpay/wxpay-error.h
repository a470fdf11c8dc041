/* wxpay-error.h: the WXPAY_ERROR domain, and whether an error leaves the outcome known. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WXPAY_ERROR (wxpay_error_quark ())

/**
 * WxpayError:
 *
 * Transport and protocol failures first, then one code per documented `err_code`
 * (reference §4.3, §5.2, §6, §7, §8, §11, §13.2, §14). The GError message is English and
 * technical (it carries `return_msg` / `err_code_des`), never a key or a signature.
 *
 * Whether WeChat may have acted is given by wxpay_error_is_outcome_unknown(): a checkout must
 * treat an unknown outcome as "maybe paid / maybe created" and resolve it by querying.
 */
typedef enum {
  /* Known: nothing was sent, or WeChat definitely did not act. */
  WXPAY_ERROR_INVALID_ARGUMENT,     /* bad request built locally (missing field, bad amount) */
  WXPAY_ERROR_CONFIG,               /* missing key / appid / mch_id / client certificate */
  WXPAY_ERROR_CONNECT,              /* could not connect (refused, DNS, TLS handshake): not sent */
  WXPAY_ERROR_CANCELLED,            /* cancelled before the request was sent */
  WXPAY_ERROR_HTTP_CLIENT,          /* HTTP 4xx */
  WXPAY_ERROR_RETURN_FAIL,          /* return_code=FAIL (protocol: bad signature, bad field …) */
  /* Unknown: the request may have been processed. */
  WXPAY_ERROR_TIMEOUT,
  WXPAY_ERROR_CONNECTION_LOST,      /* sent, then the connection dropped before a full answer */
  WXPAY_ERROR_HTTP_SERVER,          /* HTTP 5xx or another unexpected status */
  WXPAY_ERROR_MALFORMED_RESPONSE,   /* answer not a valid <xml> body */
  WXPAY_ERROR_BAD_SIGNATURE,        /* answer signature missing or wrong */
  WXPAY_ERROR_MISMATCH,             /* answer appid / mch_id (or amount) not ours */
  /* Request-side XML problems found while decoding something we received (notifications). */
  WXPAY_ERROR_MALFORMED_XML,
  /* err_code values (result_code=FAIL). */
  WXPAY_ERROR_SYSTEMERROR,          /* unknown */
  WXPAY_ERROR_BANKERROR,            /* unknown */
  WXPAY_ERROR_USERPAYING,           /* unknown (still in progress) */
  WXPAY_ERROR_BIZERR_NEED_RETRY,    /* unknown: retry with the same out_refund_no */
  WXPAY_ERROR_INVALID_REQUEST,
  WXPAY_ERROR_NOAUTH,
  WXPAY_ERROR_NOTENOUGH,
  WXPAY_ERROR_ORDERPAID,
  WXPAY_ERROR_ORDERCLOSED,
  WXPAY_ERROR_ORDERREVERSED,
  WXPAY_ERROR_ORDERNOTEXIST,
  WXPAY_ERROR_APPID_NOT_EXIST,
  WXPAY_ERROR_MCHID_NOT_EXIST,
  WXPAY_ERROR_APPID_MCHID_NOT_MATCH,
  WXPAY_ERROR_LACK_PARAMS,
  WXPAY_ERROR_OUT_TRADE_NO_USED,
  WXPAY_ERROR_SIGNERROR,
  WXPAY_ERROR_XML_FORMAT_ERROR,
  WXPAY_ERROR_REQUIRE_POST_METHOD,
  WXPAY_ERROR_POST_DATA_EMPTY,
  WXPAY_ERROR_NOT_UTF8,
  WXPAY_ERROR_TRADE_STATE_ERROR,
  WXPAY_ERROR_TRADE_OVERDUE,
  WXPAY_ERROR_ERROR,
  WXPAY_ERROR_USER_ACCOUNT_ABNORMAL,
  WXPAY_ERROR_INVALID_REQ_TOO_MUCH,
  WXPAY_ERROR_INVALID_TRANSACTIONID,
  WXPAY_ERROR_PARAM_ERROR,
  WXPAY_ERROR_FREQUENCY_LIMITED,
  WXPAY_ERROR_REFUNDNOTEXIST,
  WXPAY_ERROR_AUTHCODEEXPIRE,
  WXPAY_ERROR_AUTH_CODE_ERROR,
  WXPAY_ERROR_AUTH_CODE_INVALID,
  WXPAY_ERROR_NOTSUPORTCARD,
  WXPAY_ERROR_BUYER_MISMATCH,
  WXPAY_ERROR_TRADE_ERROR,
  WXPAY_ERROR_REVERSE_EXPIRE,
  WXPAY_ERROR_UNKNOWN_ERR_CODE,     /* an undocumented err_code: treated as unknown outcome */
  /* downloadbill error XML (return_msg) */
  WXPAY_ERROR_BILL_NOT_EXIST,       /* "No Bill Exist" */
  WXPAY_ERROR_BILL_CREATING,        /* "Bill Creating": retry later */
  WXPAY_ERROR_BILL_FAILED,          /* other downloadbill failures */
  /* API v3 (wxpay3-*.c) codes with no v2 equivalent; v3 codes that have one reuse it. */
  WXPAY_ERROR_RULE_LIMIT,           /* 403 RULE_LIMIT: rejected by a business rule */
  WXPAY_ERROR_RESOURCE_NOT_EXISTS,  /* 404 RESOURCE_NOT_EXISTS (no platform certificate …) */
  WXPAY_ERROR_RATE_LIMITED,         /* 429 FREQUENCY_LIMITED: unknown in v3, retry later */
  WXPAY_ERROR_UNKNOWN_SERIAL,       /* answer signed with a key we do not hold: unknown */
  WXPAY_ERROR_STALE_TIMESTAMP,      /* answer timestamp 300 s or more off: unknown */
  WXPAY_ERROR_SIGNATURE_PROBE,      /* a WECHATPAY/SIGNTEST/ signature: never valid */
  WXPAY_ERROR_DECRYPT,              /* AES-256-GCM resource does not open with our key */
} WxpayError;

GQuark      wxpay_error_quark              (void);
/* TRUE when WeChat may have acted on the request (timeout, lost answer, 5xx, SYSTEMERROR,
 * unverifiable answer …); FALSE for any error that is not in WXPAY_ERROR and is not a
 * timeout/connection loss. */
gboolean    wxpay_error_is_outcome_unknown (const GError *error);
/* Maps a documented err_code string to its code; WXPAY_ERROR_UNKNOWN_ERR_CODE otherwise. */
WxpayError  wxpay_error_from_err_code      (const char *err_code);
/* "SYSTEMERROR", "ORDERPAID" …; the symbolic name for transport codes ("TIMEOUT"). */
const char *wxpay_error_code_to_string     (WxpayError code);

G_END_DECLS
