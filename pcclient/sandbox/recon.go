package sandbox

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ReconColumns are the columns of the reconciliation file the sandbox
// writes: those of Partner Center's new-commerce invoice reconciliation
// file, in its order.
var ReconColumns = []string{
	"PartnerId", "CustomerId", "CustomerName", "CustomerDomainName", "CustomerCountry", "InvoiceNumber", "MpnId", "Tier2MpnId",
	"OrderId", "OrderDate", "ProductId", "SkuId", "AvailabilityId", "SkuName", "ProductName", "ChargeType", "UnitPrice", "Quantity",
	"Subtotal", "TaxTotal", "Total", "Currency", "PriceAdjustmentDescription", "PublisherName", "PublisherId", "SubscriptionDescription",
	"SubscriptionId", "ChargeStartDate", "ChargeEndDate", "TermAndBillingCycle", "EffectiveUnitPrice", "UnitType", "AlternateId",
	"BillableQuantity", "BillingFrequency", "PricingCurrency", "PCToBCExchangeRate", "PCToBCExchangeRateDate", "MeterDescription",
	"ReservationOrderId", "CreditReasonCode", "SubscriptionStartDate", "SubscriptionEndDate",
}

// The partner the sandbox bills.
const (
	reconPartner = "0e195b37-4574-4539-bc42-0e539b9684c0"
	reconMpnID   = "6034453"
)

// Recon writes the reconciliation file of what the sandbox sold and
// cancelled, as Partner Center's billing would: a purchase row per priced
// line (ChargeType New) and, for each cancelled line, its credit — the
// whole price for perpetual software (ChargeType Cancel, a negative
// quantity), a prorated one for a software subscription (cancelImmediate:
// a positive quantity at a negative unit price, for the days of its term
// left). A few are not what they should be, as in life: of the cancelled
// lines (in customer, order and line order) the second gets no credit and
// the third one unit short; and an order nobody cancelled gets a credit
// (Cancel, one unit). One-time orders are named by their id, the others
// by their alternate id, as both appear in real files.
func (s *Server) Recon(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.land()
	now := s.now().UTC()
	cw := csv.NewWriter(w)
	if err := cw.Write(ReconColumns); err != nil {
		return err
	}
	type cancelled struct {
		c  *Customer
		o  *Order
		li *LineItem
	}
	var done []cancelled
	var uncancelled *cancelled
	for _, c := range s.state.Customers {
		for _, o := range c.Orders {
			for _, li := range o.LineItems {
				if li.Price == "" {
					continue
				}
				if err := cw.Write(s.reconRow(c, o, li, "New", li.Quantity+li.Cancelled, li.price(), now)); err != nil {
					return err
				}
				switch {
				case li.Cancelled > 0:
					done = append(done, cancelled{c, o, li})
				case uncancelled == nil && li.Quantity > 0 && c.Relationship:
					uncancelled = &cancelled{c, o, li}
				}
			}
		}
	}
	slices.SortFunc(done, func(a, b cancelled) int {
		return cmp.Or(cmp.Compare(a.c.ID, b.c.ID), cmp.Compare(a.o.ID, b.o.ID), cmp.Compare(a.li.LineItemNumber, b.li.LineItemNumber))
	})
	for i, d := range done {
		units := d.li.Cancelled
		switch i {
		case 1:
			continue // never credited
		case 2:
			units = max(units-1, 0) // one unit short
		}
		if units == 0 {
			continue
		}
		if err := cw.Write(s.creditRow(d.c, d.o, d.li, units, now)); err != nil {
			return err
		}
	}
	if u := uncancelled; u != nil {
		price := u.li.price()
		if err := cw.Write(s.reconRow(u.c, u.o, u.li, "Cancel", -1, price, now)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// creditRow is the credit of units cancelled units of li.
func (s *Server) creditRow(c *Customer, o *Order, li *LineItem, units int, now time.Time) []string {
	price := li.price()
	kind := li.Kind
	if kind == "" {
		kind = PerpetualSoftware
	}
	if kind != SoftwareSubscription {
		return s.reconRow(c, o, li, "Cancel", -units, price, now)
	}
	// A subscription is credited for the days of its term left.
	term := 365.0
	if strings.EqualFold(li.TermDuration, "P3Y") {
		term = 3 * 365
	}
	used := math.Ceil(o.PurchasedDaysAgo)
	left := decimal.NewFromFloat((term - used) / term)
	unit := price.Mul(left).Round(2).Neg()
	return s.reconRow(c, o, li, "cancelImmediate", units, unit, now)
}

// reconRow is a row of the reconciliation file: quantity units at unit
// (negative for a credit, as the charge type has it).
func (s *Server) reconRow(c *Customer, o *Order, li *LineItem, charge string, units int, unit decimal.Decimal, now time.Time) []string {
	product, rest, _ := strings.Cut(li.OfferID, ":")
	sku, avail, _ := strings.Cut(rest, ":")
	total := unit.Mul(decimal.NewFromInt(int64(units))).Round(2)
	orderID := o.ID
	if billing(o.BillingCycle) != "onetime" {
		orderID = o.alternateID()
	}
	h := fnv.New32a()
	h.Write([]byte(c.ID))
	row := map[string]string{
		"PartnerId": reconPartner, "CustomerId": c.ID, "CustomerName": c.Name,
		"CustomerDomainName": strings.ToLower(strings.ReplaceAll(c.Name, " ", "")) + ".onmicrosoft.com", "CustomerCountry": "US",
		"InvoiceNumber": fmt.Sprintf("G%09d", h.Sum32()%1e9), "MpnId": reconMpnID, "OrderId": orderID, "OrderDate": now.Format("1/2/2006"),
		"ProductId": product, "SkuId": sku, "AvailabilityId": avail, "SkuName": li.FriendlyName, "ProductName": li.FriendlyName,
		"ChargeType": charge, "UnitPrice": unit.StringFixed(2), "Quantity": fmt.Sprint(units), "Subtotal": total.StringFixed(2),
		"TaxTotal": "0.00", "Total": total.StringFixed(2), "Currency": o.currency(c), "PublisherName": "Microsoft Corporation",
		"EffectiveUnitPrice": unit.StringFixed(2), "UnitType": "1 License", "AlternateId": o.alternateID(),
		"BillableQuantity": fmt.Sprint(units), "BillingFrequency": o.BillingCycle, "PricingCurrency": o.currency(c), "PCToBCExchangeRate": "1",
	}
	out := make([]string, len(ReconColumns))
	for i, col := range ReconColumns {
		out[i] = row[col]
	}
	return out
}
